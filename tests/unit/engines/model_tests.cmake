# The reference engine's model: weights and forward pass (engines/src/reference/model).
# Paths relative to tests/unit.
infermeter_add_test(engines_model_test
  SOURCES
    engines/model/model_runner.cpp
    engines/model/flops_test.cpp
    engines/model/consistency_test.cpp
    engines/model/safetensors_test.cpp
    engines/model/gqa_reference_test.cpp
    engines/model/attention_bf16_test.cpp
  LINK infermeter::engines_model infermeter::engines_kv infermeter::engines_kernels
       infermeter::models fmt::fmt OpenMP::OpenMP_CXX
  LABELS unit
  TIMEOUT 900)
target_include_directories(engines_model_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/engines/model)
