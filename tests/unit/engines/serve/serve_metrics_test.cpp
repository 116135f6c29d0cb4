// /metrics of `infermeter serve`: the text parses with our own Prometheus reader, is detected as
// vLLM by our server-metrics mapping, and every normalized figure comes out with the value the
// engine's stats and the observed requests give.

#include "serve/serve_metrics.h"

#include <gtest/gtest.h>

#include "infermeter/collectors/prometheus_text.h"
#include "infermeter/collectors/server_metrics.h"

namespace infermeter::engines::serve {
namespace {

TEST(ServeMetrics, Buckets125StopAtTheContext) {
  EXPECT_EQ(Buckets125(100), (std::vector<double>{1, 2, 5, 10, 20, 50, 100}));
  EXPECT_EQ(Buckets125(1), (std::vector<double>{1}));
}

TEST(ServeMetrics, HistogramIsCumulative) {
  Histogram h({1, 2});
  h.Observe(0.5);
  h.Observe(1);
  h.Observe(1.5);
  h.Observe(9);
  std::string out;
  h.Render(out, "x", "help", "model_name=\"m\"");
  const auto scrape = collectors::ParsePrometheusText(out, "test");
  const auto* family = scrape.Find("x");
  ASSERT_NE(family, nullptr);
  std::vector<double> buckets;
  for (const auto& s : family->samples) {
    if (s.name == "x_bucket") buckets.push_back(s.value);
    if (s.name == "x_sum") {
      EXPECT_DOUBLE_EQ(s.value, 12);
    }
    if (s.name == "x_count") {
      EXPECT_DOUBLE_EQ(s.value, 4);
    }
  }
  EXPECT_EQ(buckets, (std::vector<double>{2, 3, 4}));
}

TEST(ServeMetrics, ReadAsVllmWithEveryFigure) {
  ServeMetrics metrics(1024);
  metrics.FirstToken(0.02, 40);
  metrics.InterToken(0.01);
  metrics.Finished(FinishedReason::kLength, 0.5, 0.001, 40, 2);
  metrics.FirstToken(0.03, 10);
  metrics.Finished(FinishedReason::kAbort, 0.1, std::nullopt, 10, 1);

  EngineStats stats;
  stats.kv_used_bytes = 250;
  stats.kv_capacity_bytes = 1000;
  stats.running_requests = 3;
  stats.waiting_requests = 4;
  stats.prefix_cache_queried_tokens = 50;
  stats.prefix_cache_hit_tokens = 20;
  stats.preemptions = 2;
  stats.generated_tokens = 3;
  ServedModel model = ByteLevelServedModel("tiny", 1024, 1024, 1);
  model.cache_config = {{"num_gpu_blocks", "100"}, {"block_size", "16"}};

  const std::string text = metrics.Render(stats, model);
  const auto scrape = collectors::ParsePrometheusText(text, "serve");
  ASSERT_EQ(collectors::DetectServer(scrape), collectors::ServerKind::kVllm);
  const auto m = collectors::NormalizeServerMetrics(scrape);
  ASSERT_TRUE(m.kv_usage_ratio && m.kv_capacity_tokens && m.kv_used_tokens);
  EXPECT_DOUBLE_EQ(m.kv_usage_ratio->value, 0.25);
  EXPECT_DOUBLE_EQ(m.kv_capacity_tokens->value, 1600);
  EXPECT_DOUBLE_EQ(m.kv_used_tokens->value, 400);
  ASSERT_TRUE(m.running_requests && m.waiting_requests && m.preemptions_total);
  EXPECT_DOUBLE_EQ(m.running_requests->value, 3);
  EXPECT_DOUBLE_EQ(m.waiting_requests->value, 4);
  EXPECT_DOUBLE_EQ(m.preemptions_total->value, 2);
  ASSERT_TRUE(m.prefix_cache_hits_total && m.prefix_cache_queries_total);
  EXPECT_DOUBLE_EQ(m.prefix_cache_hits_total->value, 20);
  EXPECT_DOUBLE_EQ(m.prefix_cache_queries_total->value, 50);
  ASSERT_TRUE(m.prompt_tokens_total && m.generation_tokens_total);
  EXPECT_DOUBLE_EQ(m.prompt_tokens_total->value, 50);
  EXPECT_DOUBLE_EQ(m.generation_tokens_total->value, 3);
  EXPECT_TRUE(m.notes.empty());

  const auto* success = scrape.Find("vllm:request_success_total");
  ASSERT_NE(success, nullptr);
  for (const auto& s : success->samples) {
    EXPECT_EQ(s.Label("model_name"), "tiny");
    const auto reason = s.Label("finished_reason");
    EXPECT_DOUBLE_EQ(s.value, reason == "stop" ? 0 : 1) << *reason;
  }
  for (const char* name : {"vllm:time_to_first_token_seconds", "vllm:inter_token_latency_seconds",
                           "vllm:e2e_request_latency_seconds", "vllm:request_queue_time_seconds",
                           "vllm:request_prompt_tokens", "vllm:request_generation_tokens"}) {
    const auto* family = scrape.Find(name);
    ASSERT_NE(family, nullptr) << name;
    EXPECT_EQ(family->type, collectors::PromMetricType::kHistogram) << name;
  }
  const auto* ttft = scrape.Find("vllm:time_to_first_token_seconds");
  for (const auto& s : ttft->samples) {
    if (s.name.ends_with("_count")) {
      EXPECT_DOUBLE_EQ(s.value, 2);
    }
  }
}

}  // namespace
}  // namespace infermeter::engines::serve
