#pragma once
// Energy per token: joules per output token and output tokens per joule, from the device energy
// the telemetry collectors report (`gpu_energy_j` from NVML, `npu_energy_j` from Ascend). It
// samples nothing; it must come after those collectors so their figures are in `metrics` when
// it summarizes. Without any energy figure it adds nothing (the figures stay unknown).

#include "infermeter/harness/collector.h"

namespace infermeter::collectors {

class EnergyCollector : public harness::Collector {
 public:
  std::string_view Name() const override { return "energy"; }
  void Start(const harness::CollectorContext&) override {}
  void Sample(std::int64_t, std::vector<results::SampleRecord>&) override {}
  void Summarize(const harness::CollectorSummaryInput& input,
                 std::vector<results::RunMetric>& metrics,
                 std::vector<results::SampleRecord>& samples) override;
  std::vector<std::pair<std::string, std::string>> Facts() const override;

 private:
  std::string source_;
};

}  // namespace infermeter::collectors
