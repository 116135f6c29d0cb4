#pragma once
// FLOPs of a run: from the engine's own counters when it keeps them (EngineDescription::
// counts_flops; the reference engine does), else from the cost model and each request's actual
// prompt, cached and output tokens. With a cost model both are kept, so a counted run is
// cross-checked. Achieved FLOP/s, MFU and MBU are stated against PeakFigures whose source is
// recorded with the run. Definitions: docs/METRICS.md ("FLOPs, MFU and MBU").

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "infermeter/collectors/peaks.h"
#include "infermeter/core/engine.h"
#include "infermeter/harness/collector.h"
#include "infermeter/models/architecture.h"
#include "infermeter/models/decode_traffic.h"
#include "infermeter/models/kv_cache.h"

namespace infermeter::collectors {

struct FlopsCollectorSettings {
  // The served model for the cost model; without it only engine counters can be used and MBU
  // is unknown.
  std::optional<models::Architecture> architecture;
  models::CacheFormat cache_format;    // for the cache bytes decode reads (MBU)
  std::string weight_format = "bf16";  // models::FindWeightFormat name (MBU)
  PeakFigures peaks;
  std::int64_t series_bucket_ns = 1'000'000'000;  // width of the analytic FLOP/s series
};

class FlopsCollector : public harness::Collector {
 public:
  explicit FlopsCollector(FlopsCollectorSettings settings);

  std::string_view Name() const override { return "flops"; }
  // Throws Error when the engine counts nothing and no cost model was given.
  void Start(const harness::CollectorContext& context) override;
  void Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) override;
  void Stop(std::int64_t now_ns, std::vector<results::SampleRecord>& out) override;
  void Summarize(const harness::CollectorSummaryInput& input,
                 std::vector<results::RunMetric>& metrics,
                 std::vector<results::SampleRecord>& samples) override;
  std::vector<std::pair<std::string, std::string>> Facts() const override;

 private:
  struct Counted {
    FlopsByOpClass flops{};
    std::int64_t steps = 0;
    std::int64_t tokens = 0;  // prompt tokens computed + tokens generated
  };
  Counted ReadCounters() const;  // since Start

  FlopsCollectorSettings settings_;
  harness::CollectorContext context_;
  bool counted_ = false;
  EngineStats baseline_;
  Counted last_;
  std::int64_t last_sample_ns_ = 0;
  std::optional<Counted> final_;  // at Stop
  std::vector<std::pair<std::string, std::string>> facts_;
};

}  // namespace infermeter::collectors
