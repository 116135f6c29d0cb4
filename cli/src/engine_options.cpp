#include "engine_options.h"

namespace infermeter::cli {

void AddReferenceEngineOptions(CLI::App& command, engines::ReferenceEngineOptions& options,
                               bool add_seed_option) {
  command
      .add_option("--model", options.model,
                  "built-in model or preset (see `infermeter model list`) or an architecture "
                  "file (infermeter JSON or Hugging Face config.json)")
      ->capture_default_str();
  if (add_seed_option) {
    command.add_option("--seed", options.seed, "seed of the random weights")->capture_default_str();
  }
  command
      .add_option("--weights", options.safetensors,
                  "safetensors file(s) with the model's weights instead of random ones")
      ->check(CLI::ExistingFile);
  command.add_option("--kv-format", options.kv_format,
                     "KV cache entry format: bf16, fp8, flashmla-fp8 (MLA/DSA), v4-fp8 (V4); "
                     "default: the model's deployed format");
  command.add_option("--indexer-key-format", options.indexer_key_format,
                     "lightning-indexer key format: bf16, fp8, fp4");
  command.add_option("--kv-cache-bytes", options.kv_cache_bytes, "KV cache budget in bytes")
      ->capture_default_str();
  command.add_option("--block-tokens", options.block_tokens, "tokens per KV cache block")
      ->capture_default_str();
  command.add_flag("--no-prefix-caching{false}", options.prefix_caching,
                   "do not reuse cached blocks of earlier prompts");
  command
      .add_option("--max-running", options.max_running_requests, "most requests running at once")
      ->capture_default_str();
  command
      .add_option("--max-step-tokens", options.max_step_tokens,
                  "token budget of one scheduler step (chunked prefill)")
      ->capture_default_str();
  command.add_option("--threads", options.threads, "compute threads (0: every core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
}

}  // namespace infermeter::cli
