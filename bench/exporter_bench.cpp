// exporter_bench: what exporting to Prometheus costs.
//   BM_LiveRequestFinished/T  - the live exporter's work per finished request of T output tokens
//                               (one chunk per token), on the load generator's scheduler thread.
//   BM_LiveScrape             - one scrape of a live run's registry: Collect + text exposition.
//   BM_StoredScrape/N         - `infermeter exporter --db`: one scrape of a results file of N
//                               finished runs with the harness's ~165 summary figures each, when
//                               the file did not change (cached) and the text is written.
//   BM_StoredFirstRead/N      - reading the same file from scratch (start, or a replaced file).
// docs/PERFORMANCE.md quotes the medians of --benchmark_repetitions=5.

#include <benchmark/benchmark.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <unistd.h>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "infermeter/exporter/live_run_exporter.h"
#include "infermeter/exporter/stored_runs_collectable.h"
#include "infermeter/harness/metrics.h"
#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"

namespace {

using namespace infermeter;

results::RequestRecord Request(std::int64_t id, std::int64_t tokens) {
  results::RequestRecord r;
  r.run_id = RunId{1};
  r.request_id = id;
  r.scheduled_ns = id * 1'000'000;
  r.released_ns = r.scheduled_ns;
  r.sent_ns = r.scheduled_ns + 2'000;
  r.input_tokens = 1024;
  r.output_tokens = tokens;
  r.requested_output_tokens = tokens;
  std::int64_t t = *r.sent_ns + 50'000'000;
  for (std::int64_t i = 0; i < tokens; ++i, t += 20'000'000 + (i % 7) * 100'000) {
    r.chunks.push_back({.time_ns = t, .tokens = 1});
  }
  r.first_token_ns = r.chunks.front().time_ns;
  r.last_token_ns = r.chunks.back().time_ns;
  r.done_ns = r.last_token_ns;
  r.finish_reason = "length";
  return r;
}

harness::RunStart Start(const results::RunInfo& info) {
  harness::SloSettings slo;
  slo.ttft_ms = 500;
  slo.tpot_ms = 50;
  return {.run = RunId{1}, .info = &info, .slo = slo, .start_unix_ns = 0};
}

void BM_LiveRequestFinished(benchmark::State& state) {
  results::RunInfo info;
  exporter::LiveRunExporter live;
  live.OnRunStarted(Start(info));
  const results::RequestRecord request = Request(1, state.range(0));
  for (auto _ : state) live.OnRequestFinished(request);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LiveRequestFinished)->Arg(1)->Arg(64)->Arg(1024);

std::string Scrape(const prometheus::Collectable& collectable) {
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, collectable.Collect());
  return text.str();
}

void BM_LiveScrape(benchmark::State& state) {
  results::RunInfo info;
  exporter::LiveRunExporter live;
  live.OnRunStarted(Start(info));
  for (int i = 0; i < 1000; ++i) live.OnRequestFinished(Request(i, 64));
  std::size_t bytes = 0;
  for (auto _ : state) bytes = Scrape(*live.collectable()).size();
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_LiveScrape)->Unit(benchmark::kMicrosecond);

// A results file with `runs` finished runs, each with the summary figures a real run stores.
std::string MakeResultsFile(std::int64_t runs) {
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("exporter_bench_" + std::to_string(getpid()) + "_" + std::to_string(runs) + ".db"))
          .string();
  if (std::filesystem::exists(path)) return path;
  auto store = results::ResultsStore::OpenForWriting(path);
  std::vector<results::RequestRecord> requests;
  for (int i = 0; i < 64; ++i) requests.push_back(Request(i, 32));
  harness::SloSettings slo;
  slo.ttft_ms = 500;
  const harness::RunSummary summary = harness::SummarizeRun(requests, slo);
  for (std::int64_t i = 0; i < runs; ++i) {
    results::RunInfo info;
    info.name = "run " + std::to_string(i);
    info.engine = "openai";
    info.model = "deepseek-v4-flash";
    info.workload_name = "agentic";
    info.hardware_json = R"({"gpus":[{"name":"NVIDIA H200"}]})";
    const RunId run = store.BeginRun(info);
    {
      results::ResultsWriter writer(path);
      for (auto metric : harness::ToRunMetrics(summary, run)) writer.Add(std::move(metric));
      writer.Close();
    }
    store.SetRunValidity(run, results::Validity::kValid, {});
    store.FinishRun(run, results::RunStatus::kCompleted, 1);
  }
  return path;
}

void BM_StoredScrape(benchmark::State& state) {
  const std::string path = MakeResultsFile(state.range(0));
  exporter::StoredRunsCollectable stored(path);
  std::size_t bytes = 0;
  for (auto _ : state) bytes = Scrape(stored).size();
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_StoredScrape)->Arg(10)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_StoredFirstRead(benchmark::State& state) {
  const std::string path = MakeResultsFile(state.range(0));
  for (auto _ : state) {
    exporter::StoredRunsCollectable stored(path);
    benchmark::DoNotOptimize(&stored);
  }
}
BENCHMARK(BM_StoredFirstRead)->Arg(10)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
