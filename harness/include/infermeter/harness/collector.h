#pragma once
// The collector interface: everything a run records besides its requests. A collector samples
// time series on the run's clock into `samples` while the run goes on, and writes summary
// figures into `run_metrics` once the run's requests are stored. The latency/throughput collector
// (latency_collector.h) ships with the harness; FLOPs, KV-cache and hardware telemetry
// collectors plug in the same way from collectors/.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infermeter/core/engine.h"
#include "infermeter/harness/load_generator.h"
#include "infermeter/results/records.h"

namespace infermeter::harness {

struct CollectorContext {
  RunId run;
  std::int64_t start_ns = 0;  // the run's time zero (monotonic clock)
  const Engine* engine = nullptr;
  std::function<LoadProgress()> progress;  // the load generator's live counters
};

// What a collector sees once the run is over.
struct CollectorSummaryInput {
  RunId run;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  const std::vector<results::RequestRecord>* requests = nullptr;  // as stored, in id order
};

class Collector {
 public:
  virtual ~Collector() = default;
  virtual std::string_view Name() const = 0;
  // Before the first request. Throwing Error means "cannot run here": the runner says so once,
  // with the message, and the run goes on without this collector.
  virtual void Start(const CollectorContext& context) = 0;
  // Every sampling interval, on the sampling thread: append samples (time_ns on the run clock,
  // source = Name()). Must not block for long; must not throw.
  virtual void Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) = 0;
  // After the last request ended, on the sampling thread's owner.
  virtual void Stop(std::int64_t now_ns, std::vector<results::SampleRecord>& out) {
    Sample(now_ns, out);
  }
  // Once the run's requests are stored: summary figures, and series derived from the requests.
  virtual void Summarize(const CollectorSummaryInput& input,
                         std::vector<results::RunMetric>& metrics,
                         std::vector<results::SampleRecord>& samples) = 0;
  // After Summarize: how this collector got its figures, as key/value text the run keeps in
  // `runs.collectors` (e.g. {"flops_source", "engine counters"}, {"peak_source", "measured:
  // infermeter probe ..."}, {"driver_version", "580.65"}). Say where a figure came from
  // whenever more than one source is possible.
  virtual std::vector<std::pair<std::string, std::string>> Facts() const { return {}; }
};

}  // namespace infermeter::harness
