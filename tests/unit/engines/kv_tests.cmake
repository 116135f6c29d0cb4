# The reference engine's paged KV cache and scheduler (engines/src/reference/kv, scheduler).
# Paths relative to tests/unit.
infermeter_add_test(engines_kv_test
  SOURCES
    engines/kv/kv_layout_test.cpp
    engines/kv/kv_cache_test.cpp
    engines/kv/prefix_cache_test.cpp
    engines/kv/scheduler_test.cpp
  LINK infermeter::engines_kv infermeter::models fmt::fmt
  LABELS unit)
target_include_directories(engines_kv_test PRIVATE ${PROJECT_SOURCE_DIR}/engines/src/reference
                                                  ${CMAKE_CURRENT_SOURCE_DIR}/engines/kv)
