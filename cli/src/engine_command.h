#pragma once
// `infermeter engine generate|roofline`: the embedded reference engine driven directly, without
// the harness: one request with its FLOPs and KV bytes, or the prefill and decode rooflines
// against the peaks `infermeter probe` measured.

#include <CLI/CLI.hpp>

#include "command.h"

namespace infermeter::cli {

void AddEngineCommand(CLI::App& app, CommandAction* action);

}  // namespace infermeter::cli
