#include "serve/serve_metrics.h"

#include <algorithm>
#include <iterator>
#include <limits>

#include <fmt/format.h>

namespace infermeter::engines::serve {
namespace {

// A Prometheus label value: backslash, double quote and newline escaped.
std::string LabelValue(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Family(std::string& out, const std::string& name, const char* type, const std::string& help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

template <typename T>
void Scalar(std::string& out, const std::string& name, const char* type, const std::string& help,
            const std::string& labels, T value) {
  Family(out, name, type, help);
  fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
}

std::string Number(double value) {
  if (value == std::numeric_limits<double>::infinity()) return "+Inf";
  return fmt::format("{}", value);
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size())) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);  // le: value <= bound
  if (it != bounds_.end()) {
    buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1,
                                                                       std::memory_order_relaxed);
  }
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::Render(std::string& out, const std::string& name, const std::string& help,
                       const std::string& labels) const {
  Family(out, name, "histogram", help);
  // Read the count first: buckets observed after it only make +Inf the larger, never smaller
  // than a finite bucket (counts are cumulative).
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    fmt::format_to(std::back_inserter(out), "{}_bucket{{{},le=\"{}\"}} {}\n", name, labels,
                   Number(bounds_[i]), cumulative);
  }
  const std::uint64_t count = std::max(cumulative, count_.load(std::memory_order_relaxed));
  fmt::format_to(std::back_inserter(out), "{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, count);
  fmt::format_to(std::back_inserter(out), "{}_sum{{{}}} {}\n", name, labels,
                 sum_.load(std::memory_order_relaxed));
  fmt::format_to(std::back_inserter(out), "{}_count{{{}}} {}\n", name, labels, count);
}

std::vector<double> TtftBuckets() {
  return {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25,  0.5,   0.75,
          1.0,   2.5,   5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
}

std::vector<double> InterTokenBuckets() {
  return {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
          0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
}

std::vector<double> RequestLatencyBuckets() {
  return {0.3,  0.5,  0.8,  1.0,  1.5,   2.0,   2.5,   5.0,   10.0,   15.0,  20.0,
          30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
}

std::vector<double> Buckets125(std::int64_t max) {
  std::vector<double> out;
  for (std::int64_t exponent = 1;; exponent *= 10) {
    for (const std::int64_t mantissa : {1, 2, 5}) {
      const std::int64_t value = mantissa * exponent;
      if (value > max) return out;
      out.push_back(static_cast<double>(value));
    }
  }
}

ServeMetrics::ServeMetrics(std::int64_t max_model_len)
    : ttft_(TtftBuckets()),
      inter_token_(InterTokenBuckets()),
      e2e_(RequestLatencyBuckets()),
      queue_(RequestLatencyBuckets()),
      request_prompt_tokens_(Buckets125(std::max<std::int64_t>(max_model_len, 1))),
      request_generation_tokens_(Buckets125(std::max<std::int64_t>(max_model_len, 1))) {
  for (auto& count : finished_) count.store(0);
}

void ServeMetrics::FirstToken(double ttft_s, std::int64_t prompt_tokens) {
  ttft_.Observe(ttft_s);
  prompt_tokens_.fetch_add(prompt_tokens, std::memory_order_relaxed);
}

void ServeMetrics::InterToken(double seconds) { inter_token_.Observe(seconds); }

void ServeMetrics::Finished(FinishedReason reason, double e2e_s, std::optional<double> queue_s,
                            std::int64_t prompt_tokens, std::int64_t generation_tokens) {
  finished_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  e2e_.Observe(e2e_s);
  if (queue_s) queue_.Observe(*queue_s);
  request_prompt_tokens_.Observe(static_cast<double>(prompt_tokens));
  request_generation_tokens_.Observe(static_cast<double>(generation_tokens));
}

std::string ServeMetrics::Render(const EngineStats& stats, const ServedModel& model) const {
  const std::string labels = fmt::format("model_name=\"{}\"", LabelValue(model.name));
  std::string out;
  out.reserve(16 << 10);
  Scalar(out, "vllm:num_requests_running", "gauge",
         "Number of requests in model execution batches.", labels, stats.running_requests);
  Scalar(out, "vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.",
         labels, stats.waiting_requests);
  // vLLM's fraction of KV blocks in use; here bytes in use over the cache's capacity.
  std::optional<double> usage = stats.kv_usage_ratio;
  if (!usage && stats.kv_capacity_bytes > 0) {
    usage = static_cast<double>(stats.kv_used_bytes) / static_cast<double>(stats.kv_capacity_bytes);
  }
  if (usage) {
    Scalar(out, "vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.",
           labels, std::clamp(*usage, 0.0, 1.0));
  }
  Scalar(out, "vllm:prefix_cache_queries_total", "counter",
         "Prefix cache queries, in terms of number of queried tokens.", labels,
         stats.prefix_cache_queried_tokens);
  Scalar(out, "vllm:prefix_cache_hits_total", "counter",
         "Prefix cache hits, in terms of number of cached tokens.", labels,
         stats.prefix_cache_hit_tokens);
  Scalar(out, "vllm:num_preemptions_total", "counter",
         "Cumulative number of preemption from the engine.", labels, stats.preemptions);
  Scalar(out, "vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", labels,
         prompt_tokens_.load(std::memory_order_relaxed));
  Scalar(out, "vllm:generation_tokens_total", "counter", "Number of generation tokens processed.",
         labels, stats.generated_tokens);

  Family(out, "vllm:request_success_total", "counter", "Count of successfully processed requests.");
  constexpr std::array<const char*, 3> kReasons = {"stop", "length", "abort"};
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    fmt::format_to(std::back_inserter(out),
                   "vllm:request_success_total{{finished_reason=\"{}\",{}}} {}\n", kReasons[i],
                   labels, finished_[i].load(std::memory_order_relaxed));
  }

  ttft_.Render(out, "vllm:time_to_first_token_seconds",
               "Histogram of time to first token in seconds.", labels);
  inter_token_.Render(out, "vllm:inter_token_latency_seconds",
                      "Histogram of inter-token latency in seconds.", labels);
  e2e_.Render(out, "vllm:e2e_request_latency_seconds",
              "Histogram of e2e request latency in seconds.", labels);
  queue_.Render(out, "vllm:request_queue_time_seconds",
                "Histogram of time spent in WAITING phase for request.", labels);
  request_prompt_tokens_.Render(out, "vllm:request_prompt_tokens",
                                "Number of prefill tokens processed.", labels);
  request_generation_tokens_.Render(out, "vllm:request_generation_tokens",
                                    "Number of generation tokens processed.", labels);

  if (!model.cache_config.empty()) {
    // An info metric: its value is 1, its labels are the cache configuration (vLLM's
    // CacheConfig.metrics_info()); labels sorted by name as Prometheus keeps them.
    auto config = model.cache_config;
    std::sort(config.begin(), config.end());
    std::string info_labels;
    for (const auto& [name, value] : config) {
      fmt::format_to(std::back_inserter(info_labels), "{}=\"{}\",", name, LabelValue(value));
    }
    info_labels += labels;
    Scalar(out, "vllm:cache_config_info", "gauge", "Information of the LLMEngine CacheConfig",
           info_labels, 1);
  }
  return out;
}

}  // namespace infermeter::engines::serve
