# Process and host telemetry from Linux /proc, and the host part of a run's hardware description.
list(APPEND INFERMETER_COLLECTORS_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/src/host_description.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/proc_files.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/system_collector.cpp)
