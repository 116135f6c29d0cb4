#pragma once
// `infermeter compare RUN...`: runs or repeat groups side by side with intervals and ratios.

#include <CLI/CLI.hpp>

#include "command.h"

namespace infermeter::cli {

void AddCompareCommand(CLI::App& app, CommandAction* action);

}  // namespace infermeter::cli
