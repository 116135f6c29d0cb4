# NVML collector. No GPU is needed: the loader is tested against this machine (no
# libnvidia-ml) and libm, and the collector against a fake NVML.

# TEST ONLY: a fake libnvidia-ml for fault injection (fake_nvml.cpp), loaded by path through the
# collector's real dlopen; once in full and once with only the required functions.
foreach(fake fake_nvml fake_nvml_minimal)
  add_library(${fake} MODULE collectors/fake_nvml.cpp)
  target_compile_features(${fake} PRIVATE cxx_std_20)
  target_include_directories(${fake} PRIVATE ${PROJECT_SOURCE_DIR}/collectors/src)
  infermeter_set_warnings(${fake})
endforeach()
target_compile_definitions(fake_nvml_minimal PRIVATE FAKE_NVML_MINIMAL)

infermeter_add_test(collectors_nvidia_test
  SOURCES
    collectors/nvml_test.cpp
  LINK infermeter::collectors
  LABELS unit)
# nvml_library.h and nvml_api.h are private to the library.
target_include_directories(collectors_nvidia_test PRIVATE ${PROJECT_SOURCE_DIR}/collectors/src)
target_compile_definitions(collectors_nvidia_test PRIVATE
  INFERMETER_FAKE_NVML="$<TARGET_FILE:fake_nvml>"
  INFERMETER_FAKE_NVML_MINIMAL="$<TARGET_FILE:fake_nvml_minimal>")
add_dependencies(collectors_nvidia_test fake_nvml fake_nvml_minimal)

# The real NVML on a real GPU; skips itself where there is none.
infermeter_add_test(collectors_nvidia_gpu_test
  SOURCES
    collectors/nvml_gpu_test.cpp
  LINK infermeter::collectors
  LABELS gpu)
