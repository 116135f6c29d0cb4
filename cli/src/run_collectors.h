#pragma once
// The collectors `infermeter run` attaches to every run, and the options that steer them: which
// peaks MFU and MBU are stated against, and which cost model prices the requests. Built once per
// invocation (bad options fail before the engine loads); each run restarts them.

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "infermeter/collectors/energy_collector.h"
#include "infermeter/collectors/flops_collector.h"
#include "infermeter/collectors/kv_cache_collector.h"
#include "infermeter/collectors/peaks.h"
#include "infermeter/engines/reference_engine.h"
#include "infermeter/harness/collector.h"
#include "infermeter/results/store.h"

namespace infermeter::cli {

struct CollectorOptions {
  // "auto" (this host's probe for the embedded engine), "host", or a catalog device name.
  std::string peak = "auto";
  std::string peak_precision = "bf16";
  int devices = 1;         // catalog peaks are per device
  std::string cost_model;  // "" = the engine's own model
};

void AddCollectorOptions(CLI::App& command, CollectorOptions& options);

class RunCollectors {
 public:
  // Throws InputError naming the option when a peak device, precision or cost model is unknown.
  RunCollectors(const CollectorOptions& options, const engines::ReferenceEngineOptions& reference,
                results::ResultsStore& store);
  ~RunCollectors();

  // System, NVML and Ascend telemetry, FLOPs, KV cache, energy: in the order they must
  // summarize (device energy before energy per token).
  std::vector<harness::Collector*> ForRun() const;
  const collectors::PeakFigures& peaks() const { return peaks_; }

 private:
  collectors::PeakFigures peaks_;
  std::vector<std::unique_ptr<harness::Collector>> collectors_;
};

}  // namespace infermeter::cli
