// The KV-cache collector: bytes from an engine that reports bytes (the reference engine), the
// ratio times a known capacity for one that reports only a ratio, and the analytic cross-check.
#include "infermeter/collectors/kv_cache_collector.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "find_metric.h"
#include "infermeter/engines/reference_engine.h"
#include "infermeter/harness/runner.h"
#include "infermeter/models/builtin.h"
#include "infermeter/results/store.h"
#include "temp_db.h"
#include "timed_engine.h"
#include "vector_source.h"

namespace infermeter::collectors {
namespace {

constexpr std::int64_t kMs = 1'000'000;

using testing::FindMetric;

// An engine that reports its KV cache the way vLLM's /metrics does: a usage fraction only.
class RatioOnlyEngine final : public Engine {
 public:
  explicit RatioOnlyEngine(double ratio) : ratio_(ratio) {}
  EngineDescription Describe() const override { return inner_.Describe(); }
  void Submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) override {
    inner_.Submit(std::move(request), std::move(sink));
  }
  void Cancel(RequestId id) override { inner_.Cancel(id); }
  EngineStats Stats() const override {
    EngineStats stats;
    stats.kv_usage_ratio = ratio_;
    return stats;
  }
  void Shutdown() override { inner_.Shutdown(); }

 private:
  double ratio_;
  testing::TimedEngine inner_{{.ttft_ns = 2 * kMs, .itl_ns = 1 * kMs}};
};

harness::RunSettings Settings() {
  harness::RunSettings settings;
  settings.info.name = "kv";
  settings.sample_interval_ns = 5 * kMs;
  return settings;
}

TEST(KvCacheCollector, RatioOnlyEnginesGiveRatioTimesKnownCapacity) {
  testing::TempDir dir;
  RatioOnlyEngine engine(0.25);
  const auto source = testing::VectorSource::Spaced(4, 5 * kMs, 10);
  KvCacheCollector kv({.capacity_bytes = 4000});
  const auto outcome =
      harness::RunBenchmark(engine, source, Settings(), dir.File("runs.db"), {&kv}, {});
  auto store = results::ResultsStore::OpenForReading(dir.File("runs.db"));
  const auto metrics = store.LoadRunMetrics(outcome.run);
  EXPECT_DOUBLE_EQ(*FindMetric(metrics, "kv_bytes_peak"), 1000);
  EXPECT_DOUBLE_EQ(*FindMetric(metrics, "kv_bytes_capacity"), 4000);
  EXPECT_DOUBLE_EQ(*FindMetric(metrics, "kv_usage_peak_ratio"), 0.25);
  int used_points = 0;
  for (const auto& s : store.LoadSamples(outcome.run)) {
    if (s.metric == "kv_used_bytes") {
      ++used_points;
      EXPECT_DOUBLE_EQ(s.value, 1000);
    }
  }
  EXPECT_GT(used_points, 0);
  EXPECT_NE(store.GetRun(outcome.run)->collectors_json.find("usage ratio"), std::string::npos);
}

TEST(KvCacheCollector, RatioWithoutCapacityKeepsTheRatioOnly) {
  testing::TempDir dir;
  RatioOnlyEngine engine(0.5);
  const auto source = testing::VectorSource::Spaced(2, 5 * kMs, 5);
  KvCacheCollector kv({});
  const auto outcome =
      harness::RunBenchmark(engine, source, Settings(), dir.File("runs.db"), {&kv}, {});
  auto store = results::ResultsStore::OpenForReading(dir.File("runs.db"));
  const auto metrics = store.LoadRunMetrics(outcome.run);
  EXPECT_FALSE(FindMetric(metrics, "kv_bytes_peak"));  // unknown, not zero
  EXPECT_FALSE(FindMetric(metrics, "kv_bytes_capacity"));
  EXPECT_DOUBLE_EQ(*FindMetric(metrics, "kv_usage_peak_ratio"), 0.5);
}

TEST(KvCacheCollector, ReferenceEngineBytesAndTheAnalyticCrossCheck) {
  testing::TempDir dir;
  engines::ReferenceEngineOptions options;
  options.model = "tiny";
  options.threads = 1;
  options.block_tokens = 128;  // V4 presets need the sliding window in one block
  options.kv_cache_bytes = 64ll << 20;
  options.prefix_caching = false;  // so the engine holds exactly what the requests hold
  auto engine = engines::MakeReferenceEngine(options);
  const models::Architecture arch = engines::ResolveModel("tiny");
  // Two long requests overlapping in time, so samples land while they are in flight.
  const testing::VectorSource source(
      {{.id = "a", .turns = {{.arrival_offset_ns = 0, .input_tokens = 400, .output_tokens = 40}}},
       {.id = "b", .turns = {{.arrival_offset_ns = 0, .input_tokens = 500, .output_tokens = 40}}}});
  KvCacheCollector kv({.architecture = arch, .cache_format = models::DefaultCacheFormat(arch)});
  harness::RunSettings settings = Settings();
  settings.sample_interval_ns = 2 * kMs;
  const auto outcome =
      harness::RunBenchmark(*engine, source, settings, dir.File("runs.db"), {&kv}, {});
  ASSERT_EQ(outcome.summary.requests_completed, 2);
  auto store = results::ResultsStore::OpenForReading(dir.File("runs.db"));
  const auto metrics = store.LoadRunMetrics(outcome.run);
  EXPECT_DOUBLE_EQ(*FindMetric(metrics, "kv_bytes_capacity"), 64ll << 20);
  const double peak = *FindMetric(metrics, "kv_bytes_peak");
  const double analytic_peak = *FindMetric(metrics, "kv_analytic_bytes_peak");
  // The most both requests can hold at once, by the cost model.
  const double both = static_cast<double>(
      models::SequenceKvBytes(arch, 440, models::DefaultCacheFormat(arch)).Total() +
      models::SequenceKvBytes(arch, 540, models::DefaultCacheFormat(arch)).Total());
  EXPECT_GT(peak, 0);
  EXPECT_GT(analytic_peak, 0);
  EXPECT_LE(analytic_peak, both);
  // The engine pages its cache in 128-token blocks, so it holds somewhat more than the analytic
  // bytes, but not wildly more.
  EXPECT_LE(peak, 2.0 * both);
  bool kinds = false;
  for (const auto& s : store.LoadSamples(outcome.run)) {
    if (s.metric == "kv_used_bytes" && s.labels_json != "{}") kinds = true;
  }
  EXPECT_TRUE(kinds) << "per-kind bytes are sampled";
}

}  // namespace
}  // namespace infermeter::collectors
