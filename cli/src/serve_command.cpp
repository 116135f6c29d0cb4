#include "serve_command.h"

#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "engine_options.h"
#include "infermeter/engines/openai_server.h"
#include "infermeter/engines/reference_engine.h"
#include "infermeter/exporter/engine_stats_collectable.h"
#include "infermeter/models/kv_cache.h"
#include "interrupt.h"
#include "metrics_options.h"

namespace infermeter::cli {
namespace {

struct ServeOptions {
  engines::ReferenceEngineOptions engine;
  engines::OpenAiServerOptions server;
  std::string served_model_name;
  MetricsOptions metrics;
};

// What vLLM's cache_config_info says, as far as it is true of the reference engine. Its blocks
// hold `block_tokens` tokens of every layer; num_gpu_blocks counts blocks of the long-context
// size (the bounded sliding-window ring is left out), so blocks x block_size is the context the
// cache holds.
std::vector<std::pair<std::string, std::string>> CacheConfig(
    const engines::ReferenceEngineOptions& options, const models::Architecture& arch) {
  const models::CacheFormat format = engines::ResolveCacheFormat(arch, options);
  const double block_bytes =
      models::KvBytesPerToken(arch, format) * static_cast<double>(options.block_tokens);
  const auto blocks =
      block_bytes > 0 ? static_cast<std::int64_t>(
                            std::floor(static_cast<double>(options.kv_cache_bytes) / block_bytes))
                      : 0;
  return {{"block_size", std::to_string(options.block_tokens)},
          {"num_gpu_blocks", std::to_string(blocks)},
          {"cache_dtype", std::string(models::ToString(format.kv))},
          {"enable_prefix_caching", options.prefix_caching ? "True" : "False"}};
}

int RunServe(const ServeOptions& options) {
  CheckMetricsOptions(options.metrics);
  const std::atomic<bool>& interrupted = InstallInterruptHandler();
  const models::Architecture arch = engines::ResolveModel(options.engine.model);
  const auto engine = engines::MakeReferenceEngine(options.engine);
  engines::ServedModel model = engines::ByteLevelServedModel(
      options.served_model_name.empty() ? arch.name : options.served_model_name,
      arch.max_position_embeddings, arch.vocab_size, options.engine.eos_token_id);
  model.cache_config = CacheConfig(options.engine, arch);
  const std::string name = model.name;

  if (!exporter::MetricsAddress{.host = options.server.host}.IsLoopback()) {
    std::cerr << fmt::format(
        "infermeter serve: warning: listening on {}, not a loopback address; the server has no "
        "authentication, so anyone who can reach it can use it\n",
        options.server.host);
  }
  engines::OpenAiServer server(*engine, std::move(model), options.server);
  const int port = server.Start();
  const std::string shown_host = options.server.host.find(':') != std::string::npos
                                     ? "[" + options.server.host + "]"
                                     : options.server.host;
  // Exactly one line on stdout: scripts and tests read the port from it.
  std::cout << fmt::format("infermeter serve: listening on http://{}:{} (model {})", shown_host,
                           port, name)
            << std::endl;

  // The engine's own state for Prometheus, beside the vLLM-named /metrics on the serving port.
  const std::unique_ptr<exporter::MetricsEndpoint> metrics = OpenMetricsEndpoint(options.metrics);
  const auto engine_stats = std::make_shared<exporter::EngineStatsCollectable>(*engine, name);
  if (metrics) metrics->Add(engine_stats);

  while (!interrupted.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.Stop();
  if (metrics) metrics->Remove(engine_stats);
  engine->Shutdown();
  std::cerr << "infermeter serve: stopped\n";
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<ServeOptions>();
  auto* serve = app.add_subcommand(
      "serve",
      "Serve the reference engine over an OpenAI-compatible HTTP API (/v1/completions, "
      "/v1/chat/completions, /v1/models, /health, /metrics); docs/SERVE.md");
  AddReferenceEngineOptions(*serve, options->engine);
  serve->add_option("--host", options->server.host, "address to listen on (no authentication!)")
      ->capture_default_str();
  serve->add_option("--port", options->server.port, "port to listen on (0: pick a free one)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  serve->add_option("--served-model-name", options->served_model_name,
                    "the model name clients send and /v1/models lists (default: the model's "
                    "name)");
  serve
      ->add_option("--max-connections", options->server.max_connections,
                   "connections served at once: one thread each, held for a whole stream")
      ->capture_default_str()
      ->check(CLI::Range(1, 65536));
  AddMetricsOptions(*serve, options->metrics, /*with_linger=*/false);
  serve->callback([options, action] { *action = [options] { return RunServe(*options); }; });
}

}  // namespace infermeter::cli
