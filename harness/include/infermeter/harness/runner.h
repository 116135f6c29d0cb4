#pragma once
// One benchmark run from start to verdict: registers the run in the results store, drives the
// load generator, samples the collectors on the run's clock, stores every request through the
// background writer, summarises from what was stored, judges validity and finishes the run.
// Sweeps and searches (sweep.h) call this once per point.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "infermeter/core/engine.h"
#include "infermeter/harness/collector.h"
#include "infermeter/harness/load_generator.h"
#include "infermeter/harness/metrics.h"
#include "infermeter/harness/run_listener.h"
#include "infermeter/harness/validity.h"
#include "infermeter/results/records.h"

namespace infermeter::harness {

struct RunSettings {
  results::RunInfo info;  // clock_origin is set by the runner
  LoadSettings load;
  SloSettings slo;
  ValiditySettings validity;
  std::int64_t sample_interval_ns = 1'000'000'000;
};

// How the caller follows and stops a run.
struct RunControl {
  // Set (from any thread or a signal handler) to stop: sending stops, in-flight requests are
  // cancelled, and the run ends `interrupted`.
  const std::atomic<bool>* stop = nullptr;
  // Called on the sampling thread every progress_interval_ns, and once at the end.
  std::function<void(const LoadProgress&)> on_progress;
  std::int64_t progress_interval_ns = 250'000'000;
  // Follows the run live (the Prometheus exporter); may be null.
  RunListener* listener = nullptr;
};

struct RunOutcome {
  RunId run;
  results::RunStatus status = results::RunStatus::kCompleted;
  ValidityVerdict verdict;
  RunSummary summary;
  LoadOutcome load;
  std::vector<std::string> collector_notes;  // collectors that could not run, and why
  // What each collector did, as stored in runs.collectors: {"flops": {"status": "ran",
  // "peak_source": ...}, "nvml": {"status": "not running", "reason": ...}}.
  std::string collectors_json = "{}";
  std::vector<results::RunMetric> metrics;  // every summary figure, as stored in run_metrics
};

// `extra_collectors` run beside the latency collector (which the runner always adds). Throws
// Error when the store cannot be opened or written; a run that started is then marked `failed`.
RunOutcome RunBenchmark(Engine& engine, const SampleSource& source, const RunSettings& settings,
                        const std::string& db_path, const std::vector<Collector*>& extra_collectors,
                        const RunControl& control);

}  // namespace infermeter::harness
