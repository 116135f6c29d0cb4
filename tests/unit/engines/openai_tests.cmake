# The OpenAI-compatible client's SSE parser and chunk decoder (engines/src/openai).
# Paths relative to tests/unit.
infermeter_add_test(engines_openai_test
  SOURCES
    engines/openai/sse_parser_test.cpp
    engines/openai/chunk_decoder_test.cpp
  LINK infermeter::engines_openai
  LABELS unit)
