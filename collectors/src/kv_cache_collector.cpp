#include "infermeter/collectors/kv_cache_collector.h"

#include <fmt/format.h>

#include <algorithm>

#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

results::SampleRecord Point(RunId run, std::int64_t time_ns, std::string metric, double value,
                            std::string labels = "{}") {
  return {.run_id = run,
          .time_ns = time_ns,
          .source = "kv_cache",
          .metric = std::move(metric),
          .labels_json = std::move(labels),
          .value = value};
}

void KeepMax(std::optional<double>& peak, double value) {
  peak = peak ? std::max(*peak, value) : value;
}

}  // namespace

KvCacheCollector::KvCacheCollector(KvCacheCollectorSettings settings)
    : settings_(std::move(settings)) {}

void KvCacheCollector::Start(const harness::CollectorContext& context) {
  if (context.engine == nullptr) throw Error("no engine to read KV-cache figures from");
  context_ = context;
  sample_times_ns_.clear();
  used_peak_bytes_.reset();
  capacity_bytes_.reset();
  ratio_peak_.reset();
  start_peak_used_bytes_ = context.engine->Stats().kv_peak_used_bytes;
}

void KvCacheCollector::Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) {
  const EngineStats stats = context_.engine->Stats();
  sample_times_ns_.push_back(now_ns);
  const RunId run = context_.run;
  std::optional<double> capacity;
  if (stats.kv_capacity_bytes > 0) capacity = static_cast<double>(stats.kv_capacity_bytes);
  if (!capacity && settings_.capacity_bytes)
    capacity = static_cast<double>(*settings_.capacity_bytes);
  if (capacity) {
    capacity_bytes_ = *capacity;
    out.push_back(Point(run, now_ns, "kv_capacity_bytes", *capacity));
  }

  if (stats.kv_usage_ratio) {  // the engine reports a fraction only
    from_ratio_ = true;
    KeepMax(ratio_peak_, *stats.kv_usage_ratio);
    out.push_back(Point(run, now_ns, "kv_usage_ratio", *stats.kv_usage_ratio));
    if (capacity) {
      const double used = *stats.kv_usage_ratio * *capacity;
      KeepMax(used_peak_bytes_, used);
      out.push_back(Point(run, now_ns, "kv_used_bytes", used));
    }
    return;
  }
  const double used = static_cast<double>(stats.kv_used_bytes);
  KeepMax(used_peak_bytes_, used);
  // The engine's own high-water mark catches peaks between samples, once the run passed the one
  // it had before (warm-up, earlier runs on the same engine).
  if (stats.kv_peak_used_bytes > start_peak_used_bytes_) {
    KeepMax(used_peak_bytes_, static_cast<double>(stats.kv_peak_used_bytes));
  }
  out.push_back(Point(run, now_ns, "kv_used_bytes", used));
  out.push_back(
      Point(run, now_ns, "kv_allocated_bytes", static_cast<double>(stats.kv_allocated_bytes)));
  if (capacity) {
    const double ratio = used / *capacity;
    KeepMax(ratio_peak_, ratio);
    out.push_back(Point(run, now_ns, "kv_usage_ratio", ratio));
  }
  for (const auto& kind : stats.kv_by_kind) {
    out.push_back(Point(run, now_ns, "kv_used_bytes", static_cast<double>(kind.used_bytes),
                        fmt::format(R"({{"kind":"{}"}})", kind.kind)));
  }
}

void KvCacheCollector::Summarize(const harness::CollectorSummaryInput& input,
                                 std::vector<results::RunMetric>& metrics,
                                 std::vector<results::SampleRecord>& samples) {
  const auto add = [&](std::string name, double value, std::string unit) {
    metrics.push_back(
        {.run_id = input.run, .name = std::move(name), .value = value, .unit = std::move(unit)});
  };
  if (used_peak_bytes_) add("kv_bytes_peak", *used_peak_bytes_, "bytes");
  if (capacity_bytes_) add("kv_bytes_capacity", *capacity_bytes_, "bytes");
  if (ratio_peak_) add("kv_usage_peak_ratio", *ratio_peak_, "");

  if (!settings_.architecture || sample_times_ns_.empty()) return;
  // Analytic bytes of the tokens in flight at each sample time. Each request only touches the
  // sample times inside its own lifetime, so the cost is proportional to requests x their
  // length in samples, not requests x all samples.
  std::vector<double> analytic(sample_times_ns_.size(), 0.0);
  for (const auto& r : *input.requests) {
    if (!r.sent_ns || r.input_tokens <= 0) continue;
    const std::int64_t end = r.done_ns.value_or(input.end_ns);
    auto it = std::lower_bound(sample_times_ns_.begin(), sample_times_ns_.end(), *r.sent_ns);
    // Its prompt once sent, plus the output streamed by each sample time: one pass over the
    // chunks, since both the chunks and the sample times are in time order.
    std::int64_t tokens = r.input_tokens;
    std::size_t next_chunk = 0;
    for (; it != sample_times_ns_.end() && *it < end; ++it) {
      while (next_chunk < r.chunks.size() && r.chunks[next_chunk].time_ns <= *it) {
        tokens += r.chunks[next_chunk++].tokens;
      }
      const auto bytes =
          models::SequenceKvBytes(*settings_.architecture, tokens, settings_.cache_format);
      analytic[static_cast<std::size_t>(it - sample_times_ns_.begin())] +=
          static_cast<double>(bytes.Total());
    }
  }
  double peak = 0;
  for (std::size_t i = 0; i < analytic.size(); ++i) {
    samples.push_back(Point(input.run, sample_times_ns_[i], "kv_analytic_bytes", analytic[i]));
    peak = std::max(peak, analytic[i]);
  }
  add("kv_analytic_bytes_peak", peak, "bytes");
}

std::vector<std::pair<std::string, std::string>> KvCacheCollector::Facts() const {
  std::vector<std::pair<std::string, std::string>> facts;
  facts.emplace_back("kv_source", from_ratio_ ? "engine usage ratio x capacity" : "engine bytes");
  if (settings_.architecture) {
    facts.emplace_back(
        "kv_analytic",
        fmt::format("cost model '{}', {} entries, {} indexer keys", settings_.architecture->name,
                    models::ToString(settings_.cache_format.kv),
                    models::ToString(settings_.cache_format.indexer_keys)));
  }
  return facts;
}

}  // namespace infermeter::collectors
