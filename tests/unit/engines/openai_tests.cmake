# The OpenAI-compatible client (engines/src/openai): SSE parser, chunk decoder, stream reader,
# request bodies, retry rules, and the engine itself against a fault-injection server
# (openai/fault_server.py, run with Debian's python3). Paths relative to tests/unit.
infermeter_add_test(engines_openai_test
  SOURCES
    engines/openai/sse_parser_test.cpp
    engines/openai/chunk_decoder_test.cpp
    engines/openai/stream_reader_test.cpp
    engines/openai/request_body_test.cpp
    engines/openai/transfer_outcome_test.cpp
  LINK infermeter::engines_openai nlohmann_json::nlohmann_json
  LABELS unit)

infermeter_add_test(engines_openai_engine_test
  SOURCES
    engines/openai/openai_engine_test.cpp
    engines/openai/background_process.cpp
  LINK infermeter::engines_openai nlohmann_json::nlohmann_json
  LABELS unit)
target_include_directories(engines_openai_test PRIVATE engines/openai)
target_include_directories(engines_openai_engine_test PRIVATE engines/openai)
