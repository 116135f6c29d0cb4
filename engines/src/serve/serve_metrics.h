#pragma once
// The server's side of GET /metrics: counters and histograms of the requests it served, kept
// with atomics only (they are updated from the engine's thread, once per token), and the
// Prometheus text (0.0.4) that combines them with the engine's own Stats() under vLLM's metric
// names and meanings (vllm/v1/metrics/loggers.py), so that tools that know vLLM read it as
// vLLM. The list and each metric's meaning: docs/SERVE.md.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infermeter/core/engine.h"
#include "infermeter/engines/serve_model.h"

namespace infermeter::engines::serve {

// A Prometheus histogram with fixed upper bounds; Observe is wait-free apart from the sum's
// compare-and-swap loop.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // Appends the _bucket, _sum and _count samples of `name` with the label text `labels`
  // ("model_name=\"m\"").
  void Render(std::string& out, const std::string& name, const std::string& help,
              const std::string& labels) const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bound, not cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// vLLM's buckets (vllm/v1/metrics/loggers.py).
std::vector<double> TtftBuckets();
std::vector<double> InterTokenBuckets();
std::vector<double> RequestLatencyBuckets();
// 1, 2, 5, 10, 20, 50, ... up to `max` (vLLM's build_1_2_5_buckets).
std::vector<double> Buckets125(std::int64_t max);

// vLLM's finished_reason label values.
enum class FinishedReason { kStop, kLength, kAbort };

class ServeMetrics {
 public:
  explicit ServeMetrics(std::int64_t max_model_len);

  // A request's first token, `ttft_s` after it arrived; counts its prompt tokens as vLLM does
  // (prompt_tokens_total grows when a request's prefill is done, cached tokens included).
  void FirstToken(double ttft_s, std::int64_t prompt_tokens);
  void InterToken(double seconds);
  // A finished request (not one the engine refused).
  void Finished(FinishedReason reason, double e2e_s, std::optional<double> queue_s,
                std::int64_t prompt_tokens, std::int64_t generation_tokens);

  // The whole /metrics body.
  std::string Render(const EngineStats& stats, const ServedModel& model) const;

 private:
  std::atomic<std::int64_t> prompt_tokens_{0};
  std::array<std::atomic<std::int64_t>, 3> finished_{};
  Histogram ttft_;
  Histogram inter_token_;
  Histogram e2e_;
  Histogram queue_;
  Histogram request_prompt_tokens_;
  Histogram request_generation_tokens_;
};

}  // namespace infermeter::engines::serve
