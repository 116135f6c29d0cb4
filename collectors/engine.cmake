# Collectors that read the engine (FLOPs, KV cache) and the figures derived from them.
list(APPEND INFERMETER_COLLECTORS_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/src/energy_collector.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/flops_collector.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/kv_cache_collector.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/peaks.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/request_costs.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/sample_grid.cpp)
