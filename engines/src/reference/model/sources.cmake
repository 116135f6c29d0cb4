# Included from engines/CMakeLists.txt (paths relative to engines/).
# The model: weights (random, safetensors) and the forward pass with FLOP accounting.
infermeter_add_library(engines_model
  SOURCES
    src/reference/model/arch_util.cpp
    src/reference/model/tensor_specs.cpp
    src/reference/model/weights.cpp
    src/reference/model/safetensors.cpp
    src/reference/model/weights_io.cpp
    src/reference/model/layer_weights.cpp
    src/reference/model/workspace.cpp
    src/reference/model/linear.cpp
    src/reference/model/simd.cpp
    src/reference/model/attention_bf16.cpp
    src/reference/model/rope.cpp
    src/reference/model/attention_gqa.cpp
    src/reference/model/attention_mla.cpp
    src/reference/model/attention_v4.cpp
    src/reference/model/compressor.cpp
    src/reference/model/indexer.cpp
    src/reference/model/moe.cpp
    src/reference/model/mhc.cpp
    src/reference/model/model.cpp
    src/reference/model/bench_hooks.cpp
  DEPS
    infermeter::core
    infermeter::models
    infermeter::engines_kernels
    infermeter::engines_kv
  PRIVATE_DEPS
    OpenMP::OpenMP_CXX
    fmt::fmt
    nlohmann_json::nlohmann_json)
target_include_directories(infermeter_engines_model PUBLIC src/reference)
