#pragma once
// `infermeter db check|migrate [--db FILE]`: look after a results database.

#include <CLI/CLI.hpp>

#include "command.h"

namespace infermeter::cli {

void AddDbCommand(CLI::App& app, CommandAction* action);

}  // namespace infermeter::cli
