#include "run_collectors.h"

#include <fmt/format.h>

#include "infermeter/collectors/ascend_collector.h"
#include "infermeter/collectors/host_description.h"
#include "infermeter/collectors/nvml_collector.h"
#include "infermeter/collectors/system_collector.h"
#include "infermeter/core/error.h"
#include "infermeter/models/hardware.h"
#include "infermeter/models/kv_cache.h"

namespace infermeter::cli {
namespace {

collectors::PeakFigures ResolvePeaks(const CollectorOptions& options,
                                     results::ResultsStore& store) {
  const std::string& precision = options.peak_precision;
  if (precision != "bf16" && precision != "fp8" && precision != "fp4") {
    throw InputError({.source = "<command line>", .field = "--peak-precision"},
                     fmt::format("'{}': expected bf16, fp8 or fp4", precision));
  }
  // The embedded engine computes on this host, so "auto" is the host's measured peak.
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
    : peaks_(ResolvePeaks(options, store)) {
  const models::Architecture arch =
      engines::ResolveModel(options.cost_model.empty() ? reference.model : options.cost_model);
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

RunCollectors::~RunCollectors() = default;

std::vector<harness::Collector*> RunCollectors::ForRun() const {
  std::vector<harness::Collector*> list;
  for (const auto& c : collectors_) list.push_back(c.get());
  return list;
}

}  // namespace infermeter::cli
