// ToRunMetrics: RunSummary as `run_metrics` rows. The names are the ones docs/METRICS.md lists;
// dashboards and Grafana boards select by them, so renaming one is a schema change.

#include "infermeter/harness/metrics.h"

#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace infermeter::harness {
namespace {

class MetricList {
 public:
  explicit MetricList(RunId run) : run_(run) {}

  void Add(std::string name, double value, std::string unit) {
    rows_.push_back(
        {.run_id = run_, .name = std::move(name), .value = value, .unit = std::move(unit)});
  }
  void Add(std::string name, std::int64_t value, std::string unit) {
    Add(std::move(name), static_cast<double>(value), std::move(unit));
  }

  // `<metric>_<stat>_ms` for each statistic, and `<metric>_count` in `count_unit`; nothing for
  // an empty distribution (a figure of 0 ms would read as a measurement).
  void AddDistribution(std::string_view metric, const Distribution& d,
                       const std::string& count_unit = "requests") {
    if (d.count == 0) return;
    const std::string prefix(metric);
    Add(prefix + "_count", d.count, count_unit);
    const std::pair<const char*, double> stats[] = {
        {"p50", d.p50},   {"p90", d.p90}, {"p95", d.p95}, {"p99", d.p99}, {"p99_9", d.p99_9},
        {"mean", d.mean}, {"std", d.std}, {"min", d.min}, {"max", d.max},
    };
    for (const auto& [stat, value] : stats) Add(prefix + "_" + stat + "_ms", value, "ms");
  }

  std::vector<results::RunMetric> Take() { return std::move(rows_); }

 private:
  RunId run_;
  std::vector<results::RunMetric> rows_;
};

// An error class as a metric-name suffix: lower case, [a-z0-9_] (Prometheus-safe), so
// "HTTP 503" becomes "http_503"; "unknown" when nothing is left.
std::string MetricSuffix(std::string_view error_class) {
  std::string suffix;
  for (const char c : error_class) {
    const auto u = static_cast<unsigned char>(c);
    suffix += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
  }
  return suffix.empty() ? "unknown" : suffix;
}

void AddCounts(const RunSummary& s, MetricList& m) {
  m.Add("requests_total", s.requests_total, "requests");
  m.Add("requests_completed", s.requests_completed, "requests");
  m.Add("requests_failed", s.requests_failed, "requests");
  m.Add("requests_cancelled", s.requests_cancelled, "requests");
  // Classes that differ only in case or punctuation share a name: add them up rather than emit
  // the same (run_id, name) key twice.
  std::map<std::string, std::int64_t> errors;
  for (const auto& [error_class, count] : s.errors_by_class) {
    errors["errors_" + MetricSuffix(error_class)] += count;
  }
  for (const auto& [name, count] : errors) m.Add(name, count, "requests");
  m.Add("input_tokens", s.input_tokens, "tokens");
  m.Add("cached_tokens", s.cached_tokens, "tokens");
  m.Add("output_tokens", s.output_tokens, "tokens");
  if (s.reasoning_tokens) m.Add("reasoning_tokens", *s.reasoning_tokens, "tokens");
  m.Add("usage_mismatches", s.usage_mismatches, "requests");
  m.Add("output_shortfalls", s.output_shortfalls, "requests");
}

void AddThroughput(const RunSummary& s, MetricList& m) {
  m.Add("duration_s", s.duration_s, "s");
  m.Add("request_throughput_per_s", s.request_throughput_per_s, "requests/s");
  m.Add("input_tokens_per_s", s.input_tokens_per_s, "tokens/s");
  m.Add("output_tokens_per_s", s.output_tokens_per_s, "tokens/s");
  m.Add("total_tokens_per_s", s.total_tokens_per_s, "tokens/s");
  m.Add("peak_output_tokens_per_s", s.peak_output_tokens_per_s, "tokens/s");
  m.Add("steady_state_start_s", s.steady_state_start_s, "s");
  m.Add("steady_state_duration_s", s.steady_state_duration_s, "s");
  m.Add("steady_state_output_tokens_per_s", s.steady_state_output_tokens_per_s, "tokens/s");
  m.Add("max_in_flight", s.max_in_flight, "requests");
  m.Add("mean_in_flight", s.mean_in_flight, "requests");
  m.Add("prefix_cache_hit_ratio", s.prefix_cache_hit_ratio, "");
}

void AddLatencies(const RunSummary& s, MetricList& m) {
  m.AddDistribution("ttft", s.ttft_ms);
  m.AddDistribution("ttst", s.ttst_ms);
  m.AddDistribution("e2e", s.e2e_ms);
  m.AddDistribution("tpot", s.tpot_ms);
  m.AddDistribution("ntpot", s.ntpot_ms);
  m.AddDistribution("itl", s.itl_ms, "tokens");  // token-weighted: its count is tokens
  m.AddDistribution("itl_per_request_mean", s.itl_mean_ms);
  m.AddDistribution("ttft_from_scheduled", s.ttft_from_scheduled_ms);
  m.AddDistribution("e2e_from_scheduled", s.e2e_from_scheduled_ms);
  m.AddDistribution("schedule_lag", s.schedule_lag_ms);
  m.AddDistribution("engine_queue", s.queue_ms);
  m.AddDistribution("ttfvt", s.ttfvt_ms);
  m.AddDistribution("connect", s.connect_ms);
  m.AddDistribution("first_byte", s.first_byte_ms);
}

void AddGoodput(const RunSummary& s, MetricList& m) {
  if (!s.slo_set) return;
  // The SLOs themselves, so a goodput figure is never read without what it was judged against.
  const std::pair<const char*, const std::optional<double>&> slos[] = {
      {"slo_ttft_ms", s.slo.ttft_ms},
      {"slo_tpot_ms", s.slo.tpot_ms},
      {"slo_itl_ms", s.slo.itl_ms},
      {"slo_e2e_ms", s.slo.e2e_ms},
  };
  for (const auto& [name, value] : slos) {
    if (value) m.Add(name, *value, "ms");
  }
  m.Add("good_requests", s.good_requests, "requests");
  m.Add("goodput_requests_per_s", s.goodput_requests_per_s, "requests/s");
  m.Add("goodput_output_tokens_per_s", s.goodput_output_tokens_per_s, "tokens/s");
  m.Add("good_fraction", s.good_fraction, "");
}

}  // namespace

std::vector<results::RunMetric> ToRunMetrics(const RunSummary& summary, RunId run) {
  MetricList metrics(run);
  AddCounts(summary, metrics);
  AddThroughput(summary, metrics);
  AddLatencies(summary, metrics);
  AddGoodput(summary, metrics);
  return metrics.Take();
}

}  // namespace infermeter::harness
