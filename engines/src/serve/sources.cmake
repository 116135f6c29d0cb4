# Included from engines/CMakeLists.txt (paths relative to engines/).
# `infermeter serve`: any Engine behind an OpenAI-compatible HTTP server on cpp-httplib
# (Debian's shared library). Knows engines only through core/ (never the reference engine's
# internals). Private parts are included as "serve/request_parser.h" etc. (tests use them too).
infermeter_add_library(engines_serve
  SOURCES
    src/serve/chat_template.cpp
    src/serve/generate_handler.cpp
    src/serve/openai_server.cpp
    src/serve/request_parser.cpp
    src/serve/request_stream.cpp
    src/serve/response_writer.cpp
    src/serve/serve_metrics.cpp
    src/serve/serve_model.cpp
  DEPS
    infermeter::core
  PRIVATE_DEPS
    PkgConfig::httplib
    Threads::Threads
    fmt::fmt
    nlohmann_json::nlohmann_json)
target_include_directories(infermeter_engines_serve PUBLIC src)
