#include "infermeter/exporter/run_metric_names.h"

#include <array>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "infermeter/results/hardware_summary.h"

namespace infermeter::exporter {
namespace {

constexpr std::string_view kPrefix = "infermeter_run_";

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string_view StripSuffix(std::string_view text, std::string_view suffix) {
  return EndsWith(text, suffix) ? text.substr(0, text.size() - suffix.size()) : text;
}

// Removes the word `word` (a whole `_`-separated part) wherever it occurs.
std::string RemoveWord(std::string_view name, std::string_view word) {
  std::string out;
  std::size_t begin = 0;
  while (begin <= name.size()) {
    std::size_t end = name.find('_', begin);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view part = name.substr(begin, end - begin);
    if (part != word && !part.empty()) {
      if (!out.empty()) out += '_';
      out += part;
    }
    begin = end + 1;
  }
  return out;
}

// Statistics of a Distribution as the harness names them (harness/src/run_metrics.cpp), and the
// `stat` label each gets.
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kStats{{{"mean", "mean"},
                                                                               {"std", "std"},
                                                                               {"min", "min"},
                                                                               {"max", "max"},
                                                                               {"p50", "p50"},
                                                                               {"p90", "p90"},
                                                                               {"p95", "p95"},
                                                                               {"p99_9", "p99.9"},
                                                                               {"p99", "p99"}}};

// "ttft_p99_ms" in ms -> {"ttft", "p99"}; nullopt when `name` is not a statistic of a time.
std::optional<std::pair<std::string_view, std::string_view>> SplitTimeStatistic(
    std::string_view name, std::string_view unit) {
  if (unit != "ms") return std::nullopt;
  const std::string_view body = StripSuffix(name, "_ms");
  if (body.size() == name.size()) return std::nullopt;
  for (const auto& [suffix, label] : kStats) {
    const std::string tail = fmt::format("_{}", suffix);
    if (EndsWith(body, tail) && body.size() > tail.size()) {
      return std::pair{body.substr(0, body.size() - tail.size()), label};
    }
  }
  return std::nullopt;
}

RunMetricName Named(std::string_view base, std::string_view suffix, double scale = 1,
                    std::string_view stat = "") {
  return {.family = ValidPrometheusName(fmt::format("{}{}{}", kPrefix, base, suffix)),
          .stat = std::string(stat),
          .scale = scale};
}

}  // namespace

std::string ValidPrometheusName(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 1);
  for (const char c : text) {
    const bool valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += valid ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  return out;
}

RunMetricName ExportedRunMetricName(std::string_view name, std::string_view unit) {
  if (const auto split = SplitTimeStatistic(name, unit)) {
    return Named(split->first, "_seconds", 1e-3, split->second);
  }
  // A distribution's sample count: `_count` is reserved for histograms and summaries.
  if (EndsWith(name, "_count")) return Named(StripSuffix(name, "_count"), "_samples");
  if (unit == "ms") return Named(StripSuffix(name, "_ms"), "_seconds", 1e-3);
  if (unit == "us") return Named(StripSuffix(name, "_us"), "_seconds", 1e-6);
  if (unit == "s") return Named(StripSuffix(name, "_s"), "_seconds");
  if (EndsWith(unit, "/s")) {
    return EndsWith(name, "_per_s") ? Named(StripSuffix(name, "_s"), "_second")
                                    : Named(name, "_per_second");
  }
  if (unit == "bytes") return Named(RemoveWord(name, "bytes"), "_bytes");
  if (unit == "%") return Named(RemoveWord(name, "percent"), "_ratio", 0.01);
  if (unit.empty()) return Named(StripSuffix(name, "_ratio"), "_ratio");
  if (unit == "J") return Named(RemoveWord(name, "j"), "_joules");  // energy_j_per_output_token
  if (unit == "W") return Named(RemoveWord(name, "w"), "_watts");
  if (unit == "tokens/J") return Named(StripSuffix(name, "_per_j"), "_per_joule");
  // Counts (FLOP, tokens, requests, ...): a final figure is a gauge, so no `_total`.
  return Named(StripSuffix(name, "_total"), "");
}

std::vector<RunMetricPoint> ExportedRunMetrics(const std::vector<results::RunMetric>& metrics) {
  std::vector<RunMetricPoint> points;
  points.reserve(metrics.size());
  std::set<std::pair<std::string, std::string>> seen;
  for (const results::RunMetric& metric : metrics) {
    RunMetricName name = ExportedRunMetricName(metric.name, metric.unit);
    if (!seen.emplace(name.family, name.stat).second) continue;
    const double value = metric.value * name.scale;
    points.push_back({.name = std::move(name), .value = value});
  }
  return points;
}

std::map<std::string, std::string> RunInfoLabels(RunId run, const results::RunInfo& info) {
  std::map<std::string, std::string> labels{
      {"run_id", std::to_string(run.value)},
      {"name", info.name},
      {"engine", info.engine},
      {"model", info.model},
      {"hardware", results::HardwareSummary(info.hardware_json)},
      {"workload", info.workload_name}};
  static const std::set<std::string, std::less<>> kOurs{
      "run_id", "name", "engine", "model", "workload", "status", "validity", "job", "instance"};
  for (const auto& [key, value] : info.labels) {
    std::string label = ValidPrometheusName(key);
    // A user who names the hardware ("--label hardware=8xH200") knows it better than we do.
    if (label == "hardware") {
      labels["hardware"] = value;
      continue;
    }
    if (kOurs.contains(label) || label.starts_with("__")) label = "label_" + label;
    labels.emplace(std::move(label), value);
  }
  return labels;
}

void SetRunOutcomeLabels(std::map<std::string, std::string>& labels, results::RunStatus status,
                         std::optional<results::Validity> validity) {
  labels["status"] = std::string(results::ToString(status));
  labels["validity"] = validity ? std::string(results::ToString(*validity)) : std::string();
}

}  // namespace infermeter::exporter
