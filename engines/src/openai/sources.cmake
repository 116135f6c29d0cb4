# Included from engines/CMakeLists.txt (paths relative to engines/).
# The OpenAI-compatible client's transport-free parts: Server-Sent-Events framing (sse_parser)
# and the decoding of one streaming chunk of /v1/completions or /v1/chat/completions
# (chunk_decoder). Included as "openai/sse_parser.h", "openai/chunk_decoder.h".
infermeter_add_library(engines_openai
  SOURCES
    src/openai/sse_parser.cpp
    src/openai/chunk_decoder.cpp
  DEPS
    infermeter::core
  PRIVATE_DEPS
    fmt::fmt
    nlohmann_json::nlohmann_json)
target_include_directories(infermeter_engines_openai PUBLIC src)
