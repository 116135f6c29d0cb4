#include "infermeter/harness/latency_collector.h"

namespace infermeter::harness {

void LatencyCollector::Start(const CollectorContext& context) { context_ = context; }

void LatencyCollector::Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) {
  if (!context_.progress) return;
  const LoadProgress p = context_.progress();
  const auto add = [&](const char* metric, std::int64_t value) {
    out.push_back({.run_id = context_.run,
                   .time_ns = now_ns,
                   .source = "latency",
                   .metric = metric,
                   .labels_json = "{}",
                   .value = static_cast<double>(value)});
  };
  add("in_flight_requests", p.in_flight_requests);
  add("sent_requests_total", p.sent_requests);
  add("finished_requests_total", p.finished_requests);
  add("failed_requests_total", p.failed_requests);
  add("output_tokens_total", p.output_tokens);
}

void LatencyCollector::Summarize(const CollectorSummaryInput& input,
                                 std::vector<results::RunMetric>& metrics,
                                 std::vector<results::SampleRecord>& samples) {
  summary_ = SummarizeRun(*input.requests, slo_);
  for (auto& metric : ToRunMetrics(*summary_, input.run)) metrics.push_back(std::move(metric));
  // Series derived from the stored chunk times (exact, unlike the live counters above).
  const auto add_series = [&](const char* metric, const std::vector<SeriesPoint>& points) {
    for (const SeriesPoint& point : points) {
      samples.push_back({.run_id = input.run,
                         .time_ns = point.time_ns,
                         .source = "requests",
                         .metric = metric,
                         .labels_json = "{}",
                         .value = point.value});
    }
  };
  add_series("in_flight_requests", summary_->in_flight);
  add_series("output_tokens_per_s", summary_->output_tokens_per_s_1s);
  add_series("input_tokens_per_s", summary_->input_tokens_per_s_1s);
}

}  // namespace infermeter::harness
