#pragma once
// The collectors `infermeter run` attaches to every run, and the options that steer them: which
// peaks MFU and MBU are stated against, and which cost model prices the requests. Built once per
// invocation (bad options fail before the engine loads); each run restarts them.

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infermeter/collectors/energy_collector.h"
#include "infermeter/collectors/flops_collector.h"
#include "infermeter/collectors/kv_cache_collector.h"
#include "infermeter/collectors/peaks.h"
#include "infermeter/engines/reference_engine.h"
#include "infermeter/harness/collector.h"
#include "infermeter/models/architecture.h"
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

// A server the run drives (`--engine openai`): what the collectors need to know of it.
struct ServerTarget {
  std::string served_model;
  std::string metrics_url;  // "" = do not scrape
  std::string slots_url;    // llama.cpp's /slots, read when the server turns out to be llama.cpp
  std::int64_t metrics_interval_ms = 1000;
  std::string server_kind;  // "" = detect
};

class RunCollectors {
 public:
  // Throws InputError naming the option when a peak device, precision or cost model is unknown.
  RunCollectors(const CollectorOptions& options, const engines::ReferenceEngineOptions& reference,
                results::ResultsStore& store);
  // For a server: no engine counters, so FLOPs come from the cost model (--cost-model, else the
  // served model's name when it is a built-in architecture; none otherwise, said once), KV figures
  // from the server's own metrics, and MFU only against a named device (--peak DEVICE) or this
  // host (--peak host), since the client cannot know the server's hardware.
  RunCollectors(const CollectorOptions& options, const ServerTarget& server,
                results::ResultsStore& store);
  ~RunCollectors();

  // System, NVML and Ascend telemetry, FLOPs, KV cache, energy: in the order they must
  // summarize (device energy before energy per token).
  std::vector<harness::Collector*> ForRun() const;
  const collectors::PeakFigures& peaks() const { return peaks_; }
  // The cost model's architecture, when there is one (its vocabulary bounds prompt ids).
  const std::optional<models::Architecture>& architecture() const { return architecture_; }
  // Said once per invocation before the runs (e.g. why there are no FLOPs figures).
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  collectors::PeakFigures peaks_;
  std::optional<models::Architecture> architecture_;
  std::vector<std::string> notes_;
  std::vector<std::unique_ptr<harness::Collector>> collectors_;
};

}  // namespace infermeter::cli
