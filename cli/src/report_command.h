#pragma once
// `infermeter report RUN... -o report.html`: the comparison as a self-contained HTML file with
// charts, or Markdown with PNG files beside it.

#include <CLI/CLI.hpp>

#include "command.h"

namespace infermeter::cli {

void AddReportCommand(CLI::App& app, CommandAction* action);

}  // namespace infermeter::cli
