#pragma once
// `infermeter serve`: the embedded reference engine as an OpenAI-compatible HTTP server
// (engines/openai_server.h, docs/SERVE.md).

#include <CLI/CLI.hpp>

#include "command.h"

namespace infermeter::cli {

void AddServeCommand(CLI::App& app, CommandAction* action);

}  // namespace infermeter::cli
