# `infermeter serve`'s transport-free parts (engines/src/serve): request parsing and validation,
# the chat template, chunk and response JSON, /metrics text. Paths relative to tests/unit.
infermeter_add_test(engines_serve_test
  SOURCES
    engines/serve/request_parser_test.cpp
    engines/serve/response_writer_test.cpp
    engines/serve/serve_metrics_test.cpp
  LINK infermeter::engines_serve infermeter::collectors nlohmann_json::nlohmann_json
  LABELS unit)
