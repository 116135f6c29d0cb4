# The reference engine's kernels (engines/src/reference/kernels). Paths relative to tests/unit.
infermeter_add_test(engines_kernels_test
  SOURCES
    engines/kernels/bf16_test.cpp
    engines/kernels/gemm_test.cpp
    engines/kernels/kv_codec_test.cpp
    engines/kernels/ops_test.cpp
  LINK infermeter::engines_kernels infermeter::models fmt::fmt
  LABELS unit)
