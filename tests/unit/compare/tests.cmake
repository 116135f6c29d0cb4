# `infermeter compare`'s core: the bootstrap machinery, one run's resamples against the harness's
# own figures, and comparisons on a small results file written through the results API.
infermeter_add_test(compare_test
  SOURCES
    compare/compare_fixture.cpp
    compare/compare_test.cpp
    compare/resampling_test.cpp
    compare/run_resamples_test.cpp
    results/temp_db.cpp
  LINK infermeter::compare infermeter::harness infermeter::results nlohmann_json::nlohmann_json
       fmt::fmt
  LABELS unit)
target_include_directories(compare_test PRIVATE compare results)
