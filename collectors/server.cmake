# Inference servers' own metrics: our reader of the Prometheus text format, the mapping of
# vLLM, SGLang, TGI, Triton/TensorRT-LLM, llama.cpp and MindIE metrics to normalized figures,
# and the collector that scrapes `/metrics` (and llama.cpp's `/slots`) over HTTP with libcurl
# during a run. libcurl is linked privately in CMakeLists.txt (PRIVATE_DEPS), since fragments are
# included before the library target exists.
list(APPEND INFERMETER_COLLECTORS_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/src/http_get.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/llama_slots.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/prometheus_text.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/server_metrics.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/server_metrics_collector.cpp)
