#pragma once
// `infermeter runs [--db FILE] [--json]`: the runs in a results database.

#include <CLI/CLI.hpp>

#include "command.h"

namespace infermeter::cli {

void AddRunsCommand(CLI::App& app, CommandAction* action);

}  // namespace infermeter::cli
