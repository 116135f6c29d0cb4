# Collectors that read the engine (FLOPs, KV cache), the figures derived from them (energy per
# token, peaks), and the run's hardware description.
list(APPEND INFERMETER_COLLECTORS_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/src/energy_collector.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/flops_collector.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/hardware_description.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/kv_cache_collector.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/peaks.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/request_costs.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/sample_grid.cpp)
