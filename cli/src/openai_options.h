#pragma once
// Command-line options of the OpenAI-compatible client (`infermeter run --engine openai`), and
// the API key: read from an environment variable or a file, never from the command line (where
// `ps` and shell history would show it), and never stored or logged.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "infermeter/engines/openai_engine.h"

namespace infermeter::cli {

struct OpenAiCliOptions {
  engines::OpenAiEngineOptions engine;
  std::string api = "completions";  // or "chat"
  std::string prompt_text = "words";
  bool text_prompts = false;
  std::string api_key_env = "OPENAI_API_KEY";
  std::string api_key_file;
  std::int32_t vocab_size = 0;  // 0: the cost model's vocabulary
  // The server's Prometheus endpoint ("" = URL/metrics); off with --no-server-metrics.
  std::string server_metrics_url;
  bool server_metrics = true;
  std::int64_t server_metrics_interval_ms = 1000;
  std::string server_kind;  // "" = detect
};

void AddOpenAiOptions(CLI::App& command, OpenAiCliOptions& options);

// The engine options with `served_model`, the API, the prompt form and the key filled in.
// Throws InputError naming the option when a value is unusable or the key file unreadable.
engines::OpenAiEngineOptions ResolveOpenAiOptions(const OpenAiCliOptions& options,
                                                  const std::string& served_model);

// The server's base URL without a trailing "/v1" ("http://host:8000").
std::string ServerRoot(const std::string& url);

}  // namespace infermeter::cli
