#pragma once
// The embedded reference engine: DeepSeek-V4-family inference on the CPU with real weights
// (seeded random or loaded from safetensors), a paged KV cache with prefix caching, continuous
// batching with chunked prefill, and FLOP and KV-byte accounting that docs/ENGINE.md checks
// against the analytic cost model in models/. It implements the engine interface in core/.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "infermeter/core/engine.h"
#include "infermeter/models/architecture.h"
#include "infermeter/models/kv_cache.h"

namespace infermeter::engines {

struct ReferenceEngineOptions {
  // A built-in name ("v4-mini", "tiny", ...) or a path to an architecture file that models/
  // reads (infermeter JSON or a Hugging Face config.json).
  std::string model = "v4-mini";
  std::uint64_t seed = 0;                          // random weights: same seed, same weights
  std::vector<std::filesystem::path> safetensors;  // non-empty: load these weights instead
  std::string kv_format;                           // "" = the model's default (models/)
  std::string indexer_key_format;                  // "" = the model's default
  std::int64_t kv_cache_bytes = std::int64_t{1} << 30;
  std::int64_t block_tokens = 128;
  bool prefix_caching = true;
  std::int64_t max_running_requests = 32;
  std::int64_t max_step_tokens = 2048;  // chunked-prefill token budget per step
  int threads = 0;                      // 0: every core of the machine
  // Refuse to build weights larger than this; 0: 80% of the machine's available memory.
  std::int64_t max_weight_bytes = 0;
  std::int32_t eos_token_id = 1;
};

// The architecture `model` names (built-in or file); throws InputError naming the file and
// field when it cannot be read.
models::Architecture ResolveModel(const std::string& model);

// The cache format the engine runs `arch` with: the options' kv_format and indexer_key_format,
// else the model's default. Throws InputError naming the option when a format is unknown or
// does not apply to one of the model's layer kinds.
models::CacheFormat ResolveCacheFormat(const models::Architecture& arch,
                                       const ReferenceEngineOptions& options);

// Bytes the engine's BF16 weights take for `arch` (what max_weight_bytes is checked against).
std::int64_t WeightBytes(const models::Architecture& arch);

// Builds weights and starts the engine's step thread. Throws infermeter::Error (InputError for
// options) with a message naming the option and the limit when the model, format or budget is
// unusable, e.g. when the weights would not fit in memory.
std::unique_ptr<Engine> MakeReferenceEngine(const ReferenceEngineOptions& options);

}  // namespace infermeter::engines
