# System collector: the /proc parsers on fixtures (tests/data/proc) and broken text, the
# collector on fixtures and on this machine's /proc, the host description.
infermeter_add_test(collectors_system_test
  SOURCES
    collectors/system_collector_test.cpp
  LINK infermeter::collectors
  LABELS unit)
# The parsers are private to the library (collectors/src/proc_files.h).
target_include_directories(collectors_system_test PRIVATE ${PROJECT_SOURCE_DIR}/collectors/src)
