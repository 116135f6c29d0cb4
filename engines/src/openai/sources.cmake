# Included from engines/CMakeLists.txt (paths relative to engines/).
# The OpenAI-compatible client: Server-Sent-Events framing (sse_parser), the decoding of one
# streaming chunk (chunk_decoder), one response stream to sink calls (stream_reader), request
# bodies and chat histories, and the engine that runs every request through one libcurl multi
# handle (openai_engine, curl_transfer, transfer_outcome). Private headers are included as
# "openai/<name>.h"; the engine's public header is infermeter/engines/openai_engine.h.
infermeter_add_library(engines_openai
  SOURCES
    src/openai/sse_parser.cpp
    src/openai/chunk_decoder.cpp
    src/openai/chunk_scan.cpp
    src/openai/stream_reader.cpp
    src/openai/prompt_text.cpp
    src/openai/request_body.cpp
    src/openai/chat_history.cpp
    src/openai/transfer_outcome.cpp
    src/openai/curl_transfer.cpp
    src/openai/openai_engine.cpp
    src/openai/served_models.cpp
  DEPS
    infermeter::core
  PRIVATE_DEPS
    CURL::libcurl
    Threads::Threads
    fmt::fmt
    spdlog::spdlog
    nlohmann_json::nlohmann_json)
# Tests and benchmarks reach the transport-free parts ("openai/stream_reader.h").
target_include_directories(infermeter_engines_openai PUBLIC src)
