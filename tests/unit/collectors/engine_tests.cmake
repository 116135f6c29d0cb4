# FLOPs, KV-cache and energy collectors, peaks: against the real reference engine where the
# engine matters, and a timing test double where only the bookkeeping does.
infermeter_add_test(collectors_engine_test
  SOURCES
    collectors/counted_vs_analytic_test.cpp
    collectors/flops_collector_test.cpp
    collectors/kv_cache_collector_test.cpp
    collectors/peaks_energy_test.cpp
    collectors/sample_grid_test.cpp
    results/temp_db.cpp
  LINK infermeter::collectors infermeter::engines
  LABELS unit)
target_include_directories(collectors_engine_test PRIVATE
  harness results ${PROJECT_SOURCE_DIR}/collectors/src)
