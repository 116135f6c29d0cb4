#pragma once
// KV-cache memory over a run: used and capacity bytes as the engine reports them, per layer
// kind when it splits them, or its usage ratio times a known capacity for engines that report
// only a ratio (vLLM's `kv_cache_usage_perc`). With a cost model it also computes, at the same
// sample times, the analytic bytes of the tokens in flight (each running request's prompt plus
// the output it has streamed so far) as a cross-check: the engine's figure is lower where a
// prefix cache shares blocks and higher where it keeps finished requests' blocks cached.

#include <cstdint>
#include <optional>
#include <vector>

#include "infermeter/harness/collector.h"
#include "infermeter/models/architecture.h"
#include "infermeter/models/kv_cache.h"

namespace infermeter::collectors {

struct KvCacheCollectorSettings {
  std::optional<models::Architecture> architecture;  // for the analytic cross-check
  models::CacheFormat cache_format;
  // Capacity to use when the engine does not say (e.g. from a server's cache config).
  std::optional<std::int64_t> capacity_bytes;
};

class KvCacheCollector : public harness::Collector {
 public:
  explicit KvCacheCollector(KvCacheCollectorSettings settings);

  std::string_view Name() const override { return "kv_cache"; }
  // Throws Error when there is no engine to read.
  void Start(const harness::CollectorContext& context) override;
  void Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) override;
  void Summarize(const harness::CollectorSummaryInput& input,
                 std::vector<results::RunMetric>& metrics,
                 std::vector<results::SampleRecord>& samples) override;
  std::vector<std::pair<std::string, std::string>> Facts() const override;

 private:
  KvCacheCollectorSettings settings_;
  harness::CollectorContext context_;
  std::vector<std::int64_t> sample_times_ns_;
  std::optional<double> used_peak_bytes_;
  std::optional<double> capacity_bytes_;
  std::optional<double> ratio_peak_;
  std::int64_t start_peak_used_bytes_ = 0;
  bool from_ratio_ = false;
};

}  // namespace infermeter::collectors
