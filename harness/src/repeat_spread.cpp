#include "infermeter/harness/repeat_spread.h"

#include <algorithm>
#include <cmath>

namespace infermeter::harness {

FigureSpread SpreadOf(const std::vector<double>& sample, std::string unit) {
  FigureSpread spread{.unit = std::move(unit), .runs = static_cast<std::int64_t>(sample.size())};
  if (sample.empty()) return spread;
  double sum = 0;
  for (const double v : sample) sum += v;
  spread.mean = sum / static_cast<double>(sample.size());
  if (sample.size() > 1) {
    double squares = 0;
    for (const double v : sample) squares += (v - spread.mean) * (v - spread.mean);
    spread.stddev = std::sqrt(squares / static_cast<double>(sample.size() - 1));
  }
  if (spread.mean != 0) spread.cv = spread.stddev / std::abs(spread.mean);
  const auto [min, max] = std::minmax_element(sample.begin(), sample.end());
  spread.min = *min;
  spread.max = *max;
  return spread;
}

std::map<std::string, FigureSpread> SpreadOverRuns(
    const std::vector<std::vector<results::RunMetric>>& runs) {
  std::map<std::string, std::vector<double>> values;
  std::map<std::string, std::string> units;
  for (const auto& metrics : runs) {
    for (const results::RunMetric& metric : metrics) {
      values[metric.name].push_back(metric.value);
      units.emplace(metric.name, metric.unit);
    }
  }
  std::map<std::string, FigureSpread> spreads;
  for (const auto& [name, sample] : values) spreads.emplace(name, SpreadOf(sample, units[name]));
  return spreads;
}

}  // namespace infermeter::harness
