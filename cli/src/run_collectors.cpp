#include "run_collectors.h"

#include <fmt/format.h>

#include "infermeter/collectors/ascend_collector.h"
#include "infermeter/collectors/host_description.h"
#include "infermeter/collectors/nvml_collector.h"
#include "infermeter/collectors/server_metrics_collector.h"
#include "infermeter/collectors/system_collector.h"
#include "infermeter/core/error.h"
#include "infermeter/models/hardware.h"
#include "infermeter/models/kv_cache.h"

namespace infermeter::cli {
namespace {

collectors::PeakFigures ResolvePeaks(const CollectorOptions& options, results::ResultsStore& store,
                                     bool remote) {
  const std::string& precision = options.peak_precision;
  if (precision != "bf16" && precision != "fp8" && precision != "fp4") {
    throw InputError({.source = "<command line>", .field = "--peak-precision"},
                     fmt::format("'{}': expected bf16, fp8 or fp4", precision));
  }
  // The embedded engine computes on this host, so "auto" is the host's measured peak; a server's
  // hardware is unknown to the client, so "auto" gives no peak there.
  if (remote && options.peak == "auto") {
    return {.precision = precision,
            .source =
                "none: the server's hardware is not known to the client; name it with "
                "--peak DEVICE --devices N (or --peak host when it runs on this host)"};
  }
  if (options.peak == "auto" || options.peak == "host") {
    return collectors::MeasuredHostPeaks(store.LoadHardwarePeaks(),
                                         collectors::DescribeHost().hostname, precision);
  }
  const models::HardwareCatalog catalog;
  const models::HardwareSpec* spec = catalog.Find(options.peak);
  if (spec == nullptr) {
    std::string names;
    for (const auto& s : catalog.specs()) names += (names.empty() ? "" : ", ") + s.name;
    throw InputError(
        {.source = "<command line>", .field = "--peak"},
        fmt::format("unknown device '{}'; expected auto, host or one of: {}", options.peak, names));
  }
  return collectors::CatalogPeaks(*spec, precision, options.devices, "--peak");
}

}  // namespace

void AddCollectorOptions(CLI::App& command, CollectorOptions& options) {
  command
      .add_option("--peak", options.peak,
                  "peaks MFU/MBU are stated against: auto (this host, as `infermeter probe` "
                  "measured it), host, or a catalog device (infermeter model hardware)")
      ->capture_default_str();
  command.add_option("--peak-precision", options.peak_precision, "bf16, fp8 or fp4")
      ->capture_default_str();
  command.add_option("--devices", options.devices, "devices the catalog peak is multiplied by")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command.add_option("--cost-model", options.cost_model,
                     "architecture that prices each request (built-in name or config.json; "
                     "default: the engine's model)");
}

RunCollectors::RunCollectors(const CollectorOptions& options,
                             const engines::ReferenceEngineOptions& reference,
                             results::ResultsStore& store)
    : peaks_(ResolvePeaks(options, store, /*remote=*/false)) {
  const models::Architecture arch =
      engines::ResolveModel(options.cost_model.empty() ? reference.model : options.cost_model);
  architecture_ = arch;
  const models::CacheFormat cache = engines::ResolveCacheFormat(arch, reference);
  // Telemetry first: the energy collector reads the device energy they summarize.
  collectors_.push_back(std::make_unique<collectors::SystemCollector>());
  collectors_.push_back(std::make_unique<collectors::NvmlCollector>());
  collectors_.push_back(std::make_unique<collectors::AscendCollector>());
  collectors_.push_back(std::make_unique<collectors::FlopsCollector>(
      collectors::FlopsCollectorSettings{.architecture = arch,
                                         .cache_format = cache,
                                         .weight_format = "bf16",  // the engine's weights
                                         .peaks = peaks_}));
  collectors_.push_back(std::make_unique<collectors::KvCacheCollector>(
      collectors::KvCacheCollectorSettings{.architecture = arch, .cache_format = cache}));
  collectors_.push_back(std::make_unique<collectors::EnergyCollector>());
}

RunCollectors::RunCollectors(const CollectorOptions& options, const ServerTarget& server,
                             results::ResultsStore& store)
    : peaks_(ResolvePeaks(options, store, /*remote=*/true)) {
  if (!options.cost_model.empty()) {
    architecture_ = engines::ResolveModel(options.cost_model);
  } else {
    try {
      architecture_ = engines::ResolveModel(server.served_model);
    } catch (const Error&) {
      notes_.push_back(fmt::format(
          "no cost model for '{}': FLOPs, MFU and MBU are not computed; name the architecture "
          "with --cost-model (a built-in name or the model's config.json)",
          server.served_model));
    }
  }
  std::optional<models::CacheFormat> cache;
  if (architecture_) cache = engines::ResolveCacheFormat(*architecture_, {});
  collectors_.push_back(std::make_unique<collectors::SystemCollector>());
  collectors_.push_back(std::make_unique<collectors::NvmlCollector>());
  collectors_.push_back(std::make_unique<collectors::AscendCollector>());
  if (architecture_) {
    collectors_.push_back(std::make_unique<collectors::FlopsCollector>(
        collectors::FlopsCollectorSettings{.architecture = *architecture_,
                                           .cache_format = *cache,
                                           .weight_format = "bf16",
                                           .peaks = peaks_}));
  }
  if (!server.metrics_url.empty()) {
    collectors::ServerMetricsCollectorOptions scrape{.metrics_url = server.metrics_url,
                                                     .slots_url = server.slots_url,
                                                     .interval_ms = server.metrics_interval_ms};
    if (architecture_) scrape.kv_bytes_per_token = models::KvBytesPerToken(*architecture_, *cache);
    if (!server.server_kind.empty()) {
      if (!collectors::ServerKindFromString(server.server_kind)) {
        throw InputError({.source = "<command line>", .field = "--server-kind"},
                         fmt::format("unknown server '{}'; expected vllm, sglang, tgi, triton, "
                                     "trtllm-serve, llama.cpp or mindie",
                                     server.server_kind));
      }
      scrape.expected_server = server.server_kind;
    }
    collectors_.push_back(std::make_unique<collectors::ServerMetricsCollector>(std::move(scrape)));
  }
  collectors_.push_back(std::make_unique<collectors::EnergyCollector>());
}

RunCollectors::~RunCollectors() = default;

std::vector<harness::Collector*> RunCollectors::ForRun() const {
  std::vector<harness::Collector*> list;
  for (const auto& c : collectors_) list.push_back(c.get());
  return list;
}

}  // namespace infermeter::cli
