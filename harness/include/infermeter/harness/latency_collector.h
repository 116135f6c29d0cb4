#pragma once
// The latency and throughput collector: live counters while the run goes on (in-flight, sent,
// finished, output tokens), and at the end every figure of docs/METRICS.md, computed from the
// stored requests, with the per-second series derived from them.

#include <optional>

#include "infermeter/harness/collector.h"
#include "infermeter/harness/metrics.h"

namespace infermeter::harness {

class LatencyCollector final : public Collector {
 public:
  explicit LatencyCollector(SloSettings slo) : slo_(slo) {}

  std::string_view Name() const override { return "latency"; }
  void Start(const CollectorContext& context) override;
  void Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) override;
  void Summarize(const CollectorSummaryInput& input, std::vector<results::RunMetric>& metrics,
                 std::vector<results::SampleRecord>& samples) override;

  // The summary computed by Summarize (empty before).
  const std::optional<RunSummary>& summary() const { return summary_; }

 private:
  SloSettings slo_;
  CollectorContext context_;
  std::optional<RunSummary> summary_;
};

}  // namespace infermeter::harness
