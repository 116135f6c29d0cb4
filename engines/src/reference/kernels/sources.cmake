# Included from engines/CMakeLists.txt (paths relative to engines/).
infermeter_add_library(engines_kernels
  SOURCES
    src/reference/kernels/bf16.cpp
    src/reference/kernels/cpu_features.cpp
    src/reference/kernels/gemm.cpp
    src/reference/kernels/gemv.cpp
    src/reference/kernels/ops.cpp
    src/reference/kernels/kv_codec.cpp
    src/reference/kernels/kv_decode_simd.cpp
  DEPS
    infermeter::core
    infermeter::models
  PRIVATE_DEPS
    DNNL::dnnl
    OpenMP::OpenMP_CXX
    fmt::fmt)
target_include_directories(infermeter_engines_kernels PUBLIC src/reference)
