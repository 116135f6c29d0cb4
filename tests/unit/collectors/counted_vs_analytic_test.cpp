// The reference engine's FLOP counters against the cost model, on every engine preset: a run
// through the real harness, then the engine's counted FLOPs (per op class) against
// models::RequestFlops summed over the stored requests' actual prompt, cached and output
// tokens. Requests share a prefix, so cached tokens are exercised too.
#include <gtest/gtest.h>

#include <cctype>

#include "find_metric.h"
#include "infermeter/collectors/flops_collector.h"
#include "infermeter/engines/reference_engine.h"
#include "infermeter/harness/runner.h"
#include "infermeter/models/builtin.h"
#include "infermeter/models/flops.h"
#include "infermeter/results/store.h"
#include "temp_db.h"
#include "vector_source.h"

namespace infermeter::collectors {
namespace {

double Metric(const std::vector<results::RunMetric>& metrics, const std::string& name) {
  const auto value = testing::FindMetric(metrics, name);
  if (!value) ADD_FAILURE() << "no metric " << name;
  return value.value_or(-1);
}

harness::SampleSession Session(const char* id, std::int64_t offset_ms, std::int64_t input,
                               std::int64_t output) {
  return {.id = id,
          .turns = {{.arrival_offset_ns = offset_ms * 1'000'000,
                     .input_tokens = input,
                     .output_tokens = output}}};
}

class CountedVsAnalytic : public ::testing::TestWithParam<std::string> {};

TEST_P(CountedVsAnalytic, EngineCountersMatchTheCostModel) {
  testing::TempDir dir;
  engines::ReferenceEngineOptions options;
  options.model = GetParam();
  options.threads = 1;
  options.block_tokens = 128;  // V4 presets need the sliding window in one block
  options.kv_cache_bytes = 256ll << 20;
  auto engine = engines::MakeReferenceEngine(options);
  const models::Architecture arch = engines::ResolveModel(options.model);

  // Identical prompts (all token 7): the later ones hit the prefix cache.
  const testing::VectorSource source(
      {Session("a", 0, 300, 6), Session("b", 400, 300, 4), Session("c", 800, 530, 9)});
  harness::RunSettings settings;
  settings.info.name = "flops";
  settings.sample_interval_ns = 100'000'000;
  FlopsCollector flops({.architecture = arch,
                        .cache_format = models::DefaultCacheFormat(arch),
                        .peaks = {.flops_per_s = 1e12, .precision = "bf16", .source = "test"}});
  const auto outcome =
      harness::RunBenchmark(*engine, source, settings, dir.File("runs.db"), {&flops}, {});
  ASSERT_EQ(outcome.summary.requests_completed, 3);

  auto store = results::ResultsStore::OpenForReading(dir.File("runs.db"));
  const auto requests = store.LoadRequests(outcome.run);
  models::FlopsByClass expected;
  std::int64_t cached = 0;
  for (const auto& r : requests) {
    expected += models::RequestFlops(arch, r.input_tokens, r.cached_tokens, r.output_tokens);
    cached += r.cached_tokens;
  }
  EXPECT_GT(cached, 0) << "no prefix-cache hit";

  const auto metrics = store.LoadRunMetrics(outcome.run);
  const double tolerance = 0.01;  // the engine's own counting rules are tested shape by shape
  EXPECT_NEAR(Metric(metrics, "flops_total"), expected.Total(), expected.Total() * tolerance);
  EXPECT_NEAR(Metric(metrics, "flops_counted_to_analytic"), 1.0, tolerance);
  const std::pair<const char*, double> classes[] = {
      {"flops_dense_gemm_total", expected.dense_gemm_flops},
      {"flops_expert_gemm_total", expected.expert_gemm_flops},
      {"flops_attention_total", expected.attention_flops},
      {"flops_indexer_total", expected.indexer_flops},
      {"flops_compressor_total", expected.compressor_flops},
      {"flops_other_total", expected.other_flops}};
  for (const auto& [name, value] : classes) {
    EXPECT_NEAR(Metric(metrics, name), value, expected.Total() * tolerance) << name;
  }
  // The run records where its figures came from.
  const auto run = store.GetRun(outcome.run);
  EXPECT_NE(run->collectors_json.find("engine counters"), std::string::npos)
      << run->collectors_json;
}

std::vector<std::string> Presets() {
  std::vector<std::string> names;
  for (const auto& info : models::Builtins()) {
    if (info.preset) names.push_back(info.name);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(EveryPreset, CountedVsAnalytic, ::testing::ValuesIn(Presets()),
                         [](const auto& info) {
                           std::string name;
                           for (char c : info.param)
                             name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace infermeter::collectors
