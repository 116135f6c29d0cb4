#pragma once
// `infermeter probe`: measures this host's peak GEMM FLOP/s and memory bandwidth and stores them
// in the results database.

#include <CLI/CLI.hpp>

#include "command.h"

namespace infermeter::cli {

void AddProbeCommand(CLI::App& app, CommandAction* action);

}  // namespace infermeter::cli
