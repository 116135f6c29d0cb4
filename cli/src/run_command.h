#pragma once
// `infermeter run`: the main job. With no arguments it runs the default suite (an agentic and a
// long-context scenario) on the embedded reference engine and records it in ./infermeter.db;
// with options it runs one workload under one load model, a sweep, or a max-goodput search.

#include <CLI/CLI.hpp>

#include "command.h"

namespace infermeter::cli {

void AddRunCommand(CLI::App& app, CommandAction* action);

}  // namespace infermeter::cli
