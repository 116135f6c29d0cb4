#include "openai_options.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::cli {
namespace {

std::string ReadKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw InputError({.source = path, .field = "--api-key-file"}, "cannot read the file");
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string key = text.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) {
    key.pop_back();
  }
  if (key.empty() || key.find_first_of("\r\n") != std::string::npos) {
    throw InputError({.source = path, .field = "--api-key-file"},
                     "expected the key alone on one line");
  }
  return key;
}

}  // namespace

std::string ServerRoot(const std::string& url) {
  std::string root = url;
  while (!root.empty() && root.back() == '/') root.pop_back();
  if (root.ends_with("/v1")) root.resize(root.size() - 3);
  return root;
}

void AddOpenAiOptions(CLI::App& command, OpenAiCliOptions& options) {
  engines::OpenAiEngineOptions& e = options.engine;
  const std::string group = "OpenAI-compatible server (--engine openai)";
  command.add_option("--url", e.base_url, "server base URL, e.g. http://127.0.0.1:8000")
      ->group(group)
      ->capture_default_str();
  command.add_option("--api", options.api, "completions (token-id prompts) or chat (histories)")
      ->group(group)
      ->check(CLI::IsMember({"completions", "chat"}))
      ->capture_default_str();
  command
      .add_flag("--text-prompts", options.text_prompts,
                "completions: send text rendered from the token ids instead of the ids")
      ->group(group);
  command
      .add_option("--prompt-text", options.prompt_text,
                  "how ids become text: words (about one token each in BPE vocabularies) or "
                  "bytes (exact for byte-level tokenizers such as infermeter serve's)")
      ->group(group)
      ->check(CLI::IsMember({"words", "bytes"}))
      ->capture_default_str();
  command
      .add_option("--vocab-size", options.vocab_size,
                  "prompt token ids stay below this (default: the cost model's vocabulary)")
      ->group(group)
      ->check(CLI::PositiveNumber);
  command.add_option("--api-key-env", options.api_key_env, "environment variable with the API key")
      ->group(group)
      ->capture_default_str();
  command.add_option("--api-key-file", options.api_key_file, "file holding the API key")
      ->group(group);
  command
      .add_flag("--return-token-ids", e.return_token_ids,
                "ask for vLLM's per-chunk token ids (exact counts when chunks merge tokens)")
      ->group(group);
  command
      .add_flag("--continuous-usage", e.continuous_usage_stats,
                "ask for usage in every chunk (vLLM's continuous_usage_stats)")
      ->group(group);
  command
      .add_option("--session-header", e.session_header,
                  "header carrying the session id for routers (\"\" sends none)")
      ->group(group)
      ->capture_default_str();
  command
      .add_option("--header", e.extra_headers, "extra request header 'Name: value' (repeatable)")
      ->group(group);
  command.add_option("--extra-body", e.extra_body_json, "JSON object merged into every request")
      ->group(group);
  command.add_option("--connect-timeout-ms", e.connect_timeout_ms, "connection timeout")
      ->group(group)
      ->capture_default_str();
  command.add_option("--request-timeout-ms", e.request_timeout_ms, "whole-request timeout")
      ->group(group)
      ->capture_default_str();
  command
      .add_option("--idle-timeout-ms", e.idle_timeout_ms,
                  "cut a started stream that sends nothing for this long")
      ->group(group)
      ->capture_default_str();
  command
      .add_option("--max-connections", e.max_connections,
                  "cap on simultaneous connections (0: one per in-flight request)")
      ->group(group)
      ->capture_default_str();
  command.add_flag("--http2", e.http2, "HTTP/2 without TLS (h2c), streams multiplexed")
      ->group(group);
  command
      .add_option("--server-metrics-url", options.server_metrics_url,
                  "the server's Prometheus endpoint (default: URL/metrics)")
      ->group(group);
  command.add_flag("--no-server-metrics{false}", options.server_metrics, "do not scrape it")
      ->group(group);
  command
      .add_option("--server-metrics-interval-ms", options.server_metrics_interval_ms,
                  "milliseconds between scrapes")
      ->group(group)
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command
      .add_option("--server-kind", options.server_kind,
                  "the server's metric names: vllm, sglang, tgi, triton, trtllm-serve, llama.cpp, "
                  "mindie (default: detected)")
      ->group(group);
}

engines::OpenAiEngineOptions ResolveOpenAiOptions(const OpenAiCliOptions& options,
                                                  const std::string& served_model) {
  engines::OpenAiEngineOptions e = options.engine;
  e.model = served_model;
  e.api = options.api == "chat" ? engines::OpenAiApi::kChat : engines::OpenAiApi::kCompletions;
  e.token_id_prompts = !options.text_prompts;
  e.prompt_text =
      options.prompt_text == "bytes" ? engines::PromptText::kBytes : engines::PromptText::kWords;
  if (!options.api_key_file.empty()) {
    e.api_key = ReadKeyFile(options.api_key_file);
  } else if (!options.api_key_env.empty()) {
    const char* key = std::getenv(options.api_key_env.c_str());
    if (key != nullptr) e.api_key = key;
  }
  return e;
}

}  // namespace infermeter::cli
