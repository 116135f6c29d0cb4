#pragma once
// `infermeter model list|show|compare|hardware`: the analytic cost model of an architecture
// (parameters, FLOPs per token by op class, KV-cache bytes) and the hardware catalog.

#include <CLI/CLI.hpp>

#include "command.h"

namespace infermeter::cli {

void AddModelCommand(CLI::App& app, CommandAction* action);

}  // namespace infermeter::cli
