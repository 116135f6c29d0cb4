# Ascend collector: the npu-smi parser on every fixture of tests/data/npu-smi, the DCMI loader,
# and AscendCollector driven by fake `npu-smi` scripts (written by the test) and by a fake
# libdcmi.so built here, so the real popen/dlopen paths run without an NPU.
add_library(ascend_fake_dcmi MODULE collectors/ascend_fake_dcmi.cpp)
target_include_directories(ascend_fake_dcmi PRIVATE ${PROJECT_SOURCE_DIR}/collectors/src)
infermeter_set_warnings(ascend_fake_dcmi)

infermeter_add_test(collectors_ascend_test
  SOURCES
    collectors/npu_smi_test.cpp
    collectors/ascend_collector_test.cpp
  LINK infermeter::collectors nlohmann_json::nlohmann_json
  LABELS unit)
# The DCMI loader is private to the library; its tests reach it directly.
target_include_directories(collectors_ascend_test PRIVATE ${PROJECT_SOURCE_DIR}/collectors/src)
target_compile_definitions(collectors_ascend_test PRIVATE
  INFERMETER_FAKE_DCMI="$<TARGET_FILE:ascend_fake_dcmi>")
add_dependencies(collectors_ascend_test ascend_fake_dcmi)
