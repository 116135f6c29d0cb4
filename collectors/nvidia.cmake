# NVIDIA GPU telemetry through NVML. libnvidia-ml.so.1 is opened at run time (nvml_library.h)
# from our own declarations (nvml_api.h), so nothing here needs the driver or its headers.
list(APPEND INFERMETER_COLLECTORS_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/src/nvml_collector.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/nvml_library.cpp)
