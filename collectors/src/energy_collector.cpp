#include "infermeter/collectors/energy_collector.h"

#include <string>

namespace infermeter::collectors {

void EnergyCollector::Summarize(const harness::CollectorSummaryInput& input,
                                std::vector<results::RunMetric>& metrics,
                                std::vector<results::SampleRecord>&) {
  double joules = 0;
  source_.clear();
  for (const auto& metric : metrics) {
    if (metric.name != "gpu_energy_j" && metric.name != "npu_energy_j") continue;
    joules += metric.value;
    source_ += (source_.empty() ? "" : " + ") + metric.name;
  }
  if (source_.empty()) return;
  double output_tokens = 0;
  for (const auto& r : *input.requests) output_tokens += static_cast<double>(r.output_tokens);
  metrics.push_back({.run_id = input.run, .name = "energy_j", .value = joules, .unit = "J"});
  if (output_tokens > 0) {
    metrics.push_back({.run_id = input.run,
                       .name = "energy_j_per_output_token",
                       .value = joules / output_tokens,
                       .unit = "J"});
  }
  if (joules > 0) {
    metrics.push_back({.run_id = input.run,
                       .name = "output_tokens_per_j",
                       .value = output_tokens / joules,
                       .unit = "tokens/J"});
  }
}

std::vector<std::pair<std::string, std::string>> EnergyCollector::Facts() const {
  if (source_.empty()) return {{"energy_source", "none: no power or energy readings"}};
  return {{"energy_source", source_}};
}

}  // namespace infermeter::collectors
