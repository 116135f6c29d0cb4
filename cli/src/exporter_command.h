#pragma once
// `infermeter exporter --db FILE [--addr HOST:PORT]`: serves the summary figures of every finished
// run in a results file for Prometheus (exporter/stored_runs_collectable.h, docs/PROMETHEUS.md),
// until Ctrl-C or SIGTERM.

#include <CLI/CLI.hpp>

#include "command.h"

namespace infermeter::cli {

void AddExporterCommand(CLI::App& app, CommandAction* action);

}  // namespace infermeter::cli
