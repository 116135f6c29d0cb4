#pragma once
// Command-line options that build a reference engine, shared by every command that runs one
// (`infermeter engine ...` now, `infermeter run` next).

#include <CLI/CLI.hpp>

#include "infermeter/engines/reference_engine.h"

namespace infermeter::cli {

// Adds --model, --seed, --weights, --kv-format, --indexer-key-format, --kv-cache-bytes,
// --block-tokens, --no-prefix-caching, --max-running, --max-step-tokens, --threads to `command`,
// writing into `options` (which must outlive parsing). Without `add_seed_option` the caller owns
// --seed (`infermeter run` uses one seed for everything).
void AddReferenceEngineOptions(CLI::App& command, engines::ReferenceEngineOptions& options,
                               bool add_seed_option = true);

}  // namespace infermeter::cli
