// The FLOPs collector without engine counters: the cost model over each stored request, MFU and
// MBU against given peaks, and a clear "not running" when it has nothing to count with.
#include "infermeter/collectors/flops_collector.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "find_metric.h"
#include "infermeter/harness/runner.h"
#include "infermeter/models/builtin.h"
#include "infermeter/models/decode_traffic.h"
#include "infermeter/models/flops.h"
#include "infermeter/results/store.h"
#include "temp_db.h"
#include "timed_engine.h"
#include "vector_source.h"

namespace infermeter::collectors {
namespace {

constexpr std::int64_t kMs = 1'000'000;

using testing::FindMetric;

harness::RunSettings Settings() {
  harness::RunSettings settings;
  settings.info.name = "analytic";
  settings.sample_interval_ns = 10 * kMs;
  return settings;
}

TEST(FlopsCollector, WithoutEngineCountersUsesTheCostModelPerRequest) {
  testing::TempDir dir;
  testing::TimedEngine engine({.ttft_ns = 3 * kMs, .itl_ns = 1 * kMs});
  const auto source = testing::VectorSource::Spaced(6, 4 * kMs, 8);  // 16-token prompts
  const models::Architecture arch = *models::FindBuiltin("v4-mini");
  const PeakFigures peaks{.flops_per_s = 2e11,
                          .memory_bandwidth_bytes_per_s = 5e10,
                          .precision = "bf16",
                          .source = "given by the test"};
  FlopsCollector flops({.architecture = arch,
                        .cache_format = models::DefaultCacheFormat(arch),
                        .peaks = peaks,
                        .series_bucket_ns = 5 * kMs});
  const auto outcome =
      harness::RunBenchmark(engine, source, Settings(), dir.File("runs.db"), {&flops}, {});
  ASSERT_EQ(outcome.summary.requests_completed, 6);

  auto store = results::ResultsStore::OpenForReading(dir.File("runs.db"));
  const auto metrics = store.LoadRunMetrics(outcome.run);
  const double per_request = models::RequestFlops(arch, 16, 0, 8).Total();
  EXPECT_DOUBLE_EQ(*FindMetric(metrics, "flops_total"), 6 * per_request);
  EXPECT_DOUBLE_EQ(*FindMetric(metrics, "flops_analytic_total"), 6 * per_request);
  EXPECT_FALSE(FindMetric(metrics, "flops_counted_to_analytic"));  // nothing counted to compare
  EXPECT_DOUBLE_EQ(*FindMetric(metrics, "flops_per_output_token"), per_request / 8);
  const double seconds = static_cast<double>(outcome.load.end_ns - outcome.load.start_ns) * 1e-9;
  EXPECT_NEAR(*FindMetric(metrics, "achieved_flops_per_s"), 6 * per_request / seconds,
              6 * per_request / seconds * 1e-9);
  EXPECT_NEAR(*FindMetric(metrics, "mfu"), 6 * per_request / seconds / 2e11, 1e-9);

  // MBU: at least the cache reads of every decode step and one step's weights, over the run.
  const double kv_reads =
      6 * models::DecodeKvReadBytes(arch, 17, 23, models::DefaultCacheFormat(arch));
  const double weights_one_step =
      models::DecodeStepTraffic(arch, 1, 1, *models::FindWeightFormat("bf16"),
                                models::DefaultCacheFormat(arch))
          .weight_bytes;
  const double bytes = *FindMetric(metrics, "memory_bytes_read_estimate");
  EXPECT_GE(bytes, kv_reads + weights_one_step);
  EXPECT_LE(bytes, kv_reads + 42 * weights_one_step);  // no more steps than decode tokens
  EXPECT_NEAR(*FindMetric(metrics, "mbu"), bytes / seconds / 5e10, 1e-9);

  // Per request and per interval: one request_flops point per request, and the FLOP/s series
  // integrates back to the total.
  const auto samples = store.LoadSamples(outcome.run);
  int request_points = 0;
  double integrated = 0;
  for (const auto& s : samples) {
    if (s.metric == "request_flops") {
      ++request_points;
      EXPECT_DOUBLE_EQ(s.value, per_request);
    }
    if (s.metric == "analytic_flops_per_s") integrated += s.value * 0.005;  // 5 ms buckets
  }
  EXPECT_EQ(request_points, 6);
  // A full bucket's rate times its width is its amount; the last, shorter bucket only adds.
  EXPECT_GE(integrated, 6 * per_request * (1 - 1e-9));

  const auto facts = nlohmann::json::parse(store.GetRun(outcome.run)->collectors_json);
  EXPECT_EQ(facts["flops"]["status"], "ran");
  EXPECT_EQ(facts["flops"]["peak_source"], "given by the test");
  EXPECT_NE(facts["flops"]["flops_source"].get<std::string>().find("cost model"),
            std::string::npos);
}

TEST(FlopsCollector, WithNothingToCountWithItSaysWhyAndTheRunGoesOn) {
  testing::TempDir dir;
  testing::TimedEngine engine({.ttft_ns = 1 * kMs, .itl_ns = 1 * kMs});
  const auto source = testing::VectorSource::Spaced(2, 1 * kMs, 3);
  FlopsCollector flops({});
  const auto outcome =
      harness::RunBenchmark(engine, source, Settings(), dir.File("runs.db"), {&flops}, {});
  EXPECT_EQ(outcome.summary.requests_completed, 2);
  ASSERT_EQ(outcome.collector_notes.size(), 1u);
  EXPECT_NE(outcome.collector_notes[0].find("--cost-model"), std::string::npos);
  auto store = results::ResultsStore::OpenForReading(dir.File("runs.db"));
  EXPECT_FALSE(FindMetric(store.LoadRunMetrics(outcome.run), "flops_total"));
  const auto facts = nlohmann::json::parse(store.GetRun(outcome.run)->collectors_json);
  EXPECT_EQ(facts["flops"]["status"], "not running");
}

TEST(FlopsCollector, RefusesAnUnknownWeightFormat) {
  EXPECT_THROW(FlopsCollector({.weight_format = "int3"}), Error);
}

}  // namespace
}  // namespace infermeter::collectors
