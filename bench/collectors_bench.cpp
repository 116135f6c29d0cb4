// What the collectors cost a run. Live: one Sample() of the system, FLOPs and KV-cache
// collectors (they run on the harness's sampling thread, once per --sample-interval). After the
// run: the FLOPs and KV-cache summaries over N stored requests, which price every request with
// the cost model and rebuild the analytic series.
//
//   build/release/bench/collectors_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)

#include <benchmark/benchmark.h>

#include <vector>

#include "infermeter/collectors/flops_collector.h"
#include "infermeter/collectors/kv_cache_collector.h"
#include "infermeter/collectors/system_collector.h"
#include "infermeter/core/engine.h"
#include "infermeter/models/builtin.h"

namespace infermeter {
namespace {

// An engine that only answers Stats(), with a per-kind KV split like the reference engine's.
class StatsOnlyEngine final : public Engine {
 public:
  EngineDescription Describe() const override {
    return {.name = "stats", .model = "v4-mini", .counts_flops = true};
  }
  void Submit(EngineRequest, std::shared_ptr<ResponseSink>) override {}
  void Cancel(RequestId) override {}
  EngineStats Stats() const override {
    EngineStats s;
    s.kv_used_bytes = ++calls_ * 4096;
    s.kv_capacity_bytes = 1 << 30;
    s.kv_by_kind = {{"swa", 1, 1, 1}, {"csa", 2, 2, 2}, {"hca", 3, 3, 3}, {"indexer", 4, 4, 4}};
    s.flops.fill(static_cast<double>(calls_) * 1e9);
    return s;
  }
  void Shutdown() override {}

 private:
  mutable std::int64_t calls_ = 0;
};

harness::CollectorContext Context(const Engine& engine) {
  return {.run = RunId(1), .start_ns = 0, .engine = &engine};
}

template <typename C>
void SampleLoop(benchmark::State& state, C& collector) {
  std::vector<results::SampleRecord> out;
  std::int64_t now = 1;
  for (auto _ : state) {
    out.clear();
    collector.Sample(now += 1'000'000'000, out);
    benchmark::DoNotOptimize(out.data());
  }
}

void BM_SampleSystem(benchmark::State& state) {
  StatsOnlyEngine engine;
  collectors::SystemCollector c;
  c.Start(Context(engine));
  SampleLoop(state, c);
}
BENCHMARK(BM_SampleSystem);

void BM_SampleFlops(benchmark::State& state) {
  StatsOnlyEngine engine;
  collectors::FlopsCollector c({.peaks = {.flops_per_s = 1e12}});
  c.Start(Context(engine));
  SampleLoop(state, c);
}
BENCHMARK(BM_SampleFlops);

void BM_SampleKvCache(benchmark::State& state) {
  StatsOnlyEngine engine;
  collectors::KvCacheCollector c({});
  c.Start(Context(engine));
  SampleLoop(state, c);
}
BENCHMARK(BM_SampleKvCache);

// N requests of a 2,000-token prompt (half cached) and 200 output tokens in 100 two-token
// chunks, 20 in flight at a time, one second apart in start time.
std::vector<results::RequestRecord> Requests(std::int64_t n) {
  std::vector<results::RequestRecord> requests(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    auto& r = requests[static_cast<std::size_t>(i)];
    r.request_id = i;
    const std::int64_t sent = (i / 20) * 1'000'000'000;
    r.sent_ns = sent;
    r.first_token_ns = sent + 100'000'000;
    r.input_tokens = 2000;
    r.cached_tokens = 1000;
    r.output_tokens = 200;
    for (int c = 0; c < 100; ++c) r.chunks.push_back({*r.first_token_ns + c * 5'000'000, 2});
    r.last_token_ns = r.chunks.back().time_ns;
    r.done_ns = r.last_token_ns;
  }
  return requests;
}

void BM_SummarizeFlops(benchmark::State& state) {
  const auto requests = Requests(state.range(0));
  const auto arch = *models::FindBuiltin("v4-mini");
  StatsOnlyEngine engine;
  for (auto _ : state) {
    collectors::FlopsCollector c(
        {.architecture = arch,
         .cache_format = models::DefaultCacheFormat(arch),
         .peaks = {.flops_per_s = 1e12, .memory_bandwidth_bytes_per_s = 1e11}});
    c.Start(Context(engine));
    std::vector<results::RunMetric> metrics;
    std::vector<results::SampleRecord> samples;
    c.Summarize({.run = RunId(1),
                 .start_ns = 0,
                 .end_ns = requests.back().done_ns.value_or(0),
                 .requests = &requests},
                metrics, samples);
    benchmark::DoNotOptimize(samples.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SummarizeFlops)->Arg(10'000)->Unit(benchmark::kMillisecond);

void BM_SummarizeKvCrossCheck(benchmark::State& state) {
  const auto requests = Requests(state.range(0));
  const auto arch = *models::FindBuiltin("v4-mini");
  StatsOnlyEngine engine;
  for (auto _ : state) {
    state.PauseTiming();
    collectors::KvCacheCollector c(
        {.architecture = arch, .cache_format = models::DefaultCacheFormat(arch)});
    c.Start(Context(engine));
    std::vector<results::SampleRecord> live;
    const std::int64_t end = requests.back().done_ns.value_or(0);
    for (std::int64_t t = 0; t <= end; t += 1'000'000'000) c.Sample(t, live);  // 1 s samples
    state.ResumeTiming();
    std::vector<results::RunMetric> metrics;
    std::vector<results::SampleRecord> samples;
    c.Summarize({.run = RunId(1), .start_ns = 0, .end_ns = end, .requests = &requests}, metrics,
                samples);
    benchmark::DoNotOptimize(samples.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SummarizeKvCrossCheck)->Arg(10'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace infermeter

BENCHMARK_MAIN();
