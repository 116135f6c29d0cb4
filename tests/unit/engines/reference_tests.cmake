# The reference engine through the core Engine interface (tests/unit/engines/reference/).
infermeter_add_test(engines_reference_test
  SOURCES
    engines/reference/engine_test.cpp
    engines/reference/concurrency_test.cpp
  LINK infermeter::engines fmt::fmt
  LABELS unit)

# Long-context KV accounting against the cost model: seconds of compute in a release build, so
# it is not part of the sanitizer run (label `engine`, not `unit`).
infermeter_add_test(engines_kv_accounting_test
  SOURCES engines/reference/kv_accounting_test.cpp
  LINK infermeter::engines fmt::fmt
  LABELS engine)
