# Huawei Ascend NPU telemetry: DCMI (libdcmi.so, opened at run time, never linked) or the text of
# `npu-smi info`.
list(APPEND INFERMETER_COLLECTORS_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ascend_collector.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/dcmi_library.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/npu_smi.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/npu_smi_runner.cpp)
