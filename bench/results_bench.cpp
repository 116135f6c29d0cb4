// Results-store throughput: how many requests a second the background writer puts into a real
// SQLite file, each with 256 chunk arrival times, and the cost of the chunk codec alone.
//
// Target (Foundation issue): >= 200k requests/s on one core. Two figures:
//   items_per_second           end to end (Add + Flush), wall clock; under `taskset -c 0` the
//                              producer and the writer thread share one core;
//   requests_per_writer_cpu_s  requests per second of the writer thread's CPU time.

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "infermeter/results/chunk_codec.h"
#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"

namespace infermeter::results {
namespace {

constexpr int kChunksPerRequest = 256;

// A request as a decode-heavy run produces it: 256 one-token chunks about 20 ms apart.
RequestRecord MakeRequest(RunId run, std::int64_t id, std::mt19937_64& rng) {
  RequestRecord r;
  r.run_id = run;
  r.request_id = id;
  r.session_id = fmt::format("s{}", id % 97);
  r.turn_index = static_cast<std::int32_t>(id % 5);
  r.scheduled_ns = 1'000'000'000 + id * 500'000;
  r.sent_ns = r.scheduled_ns + 20'000;
  r.input_tokens = 4096;
  r.cached_tokens = 1024;
  r.requested_output_tokens = kChunksPerRequest;
  std::int64_t t = *r.sent_ns + 150'000'000;  // TTFT
  std::normal_distribution<double> itl_ns(20e6, 3e6);
  for (int c = 0; c < kChunksPerRequest; ++c) {
    r.chunks.push_back({t, 1});
    t += std::max<std::int64_t>(0, static_cast<std::int64_t>(itl_ns(rng)));
  }
  r.output_tokens = kChunksPerRequest;
  r.first_token_ns = r.chunks.front().time_ns;
  r.last_token_ns = r.chunks.back().time_ns;
  r.done_ns = t;
  r.finish_reason = "length";
  return r;
}

std::string MakeDbPath() {
  std::string dir = (std::filesystem::temp_directory_path() / "infermeter-bench-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return dir + "/bench.db";
}

// Items per second = requests committed per second (Add + Flush, end to end).
void BM_WriterRequestsWith256Chunks(benchmark::State& state) {
  const auto batch = static_cast<std::int64_t>(state.range(0));
  const auto page_size_bytes = static_cast<int>(state.range(1));
  const std::string path = MakeDbPath();
  RunId run;
  {
    auto store = ResultsStore::OpenForWriting(path, page_size_bytes);
    run = store.BeginRun({.name = "bench"});
  }
  std::mt19937_64 rng(1);
  std::vector<RequestRecord> templates;
  for (int i = 0; i < 64; ++i) templates.push_back(MakeRequest(run, i, rng));

  ResultsWriter writer(path);
  std::int64_t next_id = 0;
  std::vector<RequestRecord> ready;
  for (auto _ : state) {
    state.PauseTiming();  // building the records is the producer's work, not the writer's
    ready.clear();
    for (std::int64_t i = 0; i < batch; ++i) {
      RequestRecord r = templates[static_cast<std::size_t>(i % 64)];
      r.request_id = next_id++;
      ready.push_back(std::move(r));
    }
    state.ResumeTiming();
    for (auto& r : ready) writer.Add(std::move(r));
    writer.Flush();
  }
  writer.Close();
  state.SetItemsProcessed(state.iterations() * batch);
  // Requests per second of the writer thread's own CPU time: the "on one core" figure, which
  // holds however busy the other core is.
  const WriterStats stats = writer.Stats();
  state.counters["requests_per_writer_cpu_s"] =
      static_cast<double>(stats.requests_written) / (static_cast<double>(stats.write_cpu_ns) / 1e9);
  state.counters["db_MiB"] = static_cast<double>(std::filesystem::file_size(path)) / (1 << 20);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}
// Arguments: requests per flush, SQLite page size (the default, and SQLite's own default).
BENCHMARK(BM_WriterRequestsWith256Chunks)
    ->ArgNames({"requests", "page_size"})
    ->Args({20000, ResultsStore::kDefaultPageSizeBytes})
    ->Args({20000, 4096})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_EncodeChunks(benchmark::State& state) {
  std::mt19937_64 rng(2);
  const RequestRecord r = MakeRequest(RunId(1), 1, rng);
  std::vector<std::uint8_t> blob;
  for (auto _ : state) {
    EncodeChunkArrivals(r.chunks, *r.sent_ns, blob);
    benchmark::DoNotOptimize(blob.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_request"] = static_cast<double>(blob.size());
}
BENCHMARK(BM_EncodeChunks);

void BM_DecodeChunks(benchmark::State& state) {
  std::mt19937_64 rng(3);
  const RequestRecord r = MakeRequest(RunId(1), 1, rng);
  std::vector<std::uint8_t> blob;
  EncodeChunkArrivals(r.chunks, *r.sent_ns, blob);
  for (auto _ : state) {
    auto chunks = DecodeChunkArrivals(blob, *r.sent_ns);
    benchmark::DoNotOptimize(chunks.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeChunks);

}  // namespace
}  // namespace infermeter::results

BENCHMARK_MAIN();
