#pragma once
// `infermeter trace inspect|convert|generate`: look at, convert and generate workload traces.

#include <CLI/CLI.hpp>

#include "command.h"

namespace infermeter::cli {

void AddTraceCommand(CLI::App& app, CommandAction* action);

}  // namespace infermeter::cli
