# Inference servers' own metrics: our reader of the Prometheus text format and the mapping of
# vLLM, SGLang, TGI, Triton/TensorRT-LLM, llama.cpp and MindIE metrics to normalized figures.
list(APPEND INFERMETER_COLLECTORS_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/src/prometheus_text.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/server_metrics.cpp)
