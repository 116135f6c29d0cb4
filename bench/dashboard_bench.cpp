// dashboard_bench: how long the dashboard takes to open a large run (issue #9's target: a run
// with 1M requests in <= 2 s on the 2-core development VM). Writes a results file with one run
// of N requests (K one-token chunks each, as streamed) and an hour of 1 s samples of 20 series,
// through the real background writer, then times LoadRunSnapshot on it.
//
// Usage: dashboard_bench [--requests N] [--chunks K] [--repeat R] [--db FILE]
// The file is kept (and reused when it exists) so repeated measurements skip the writing.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "infermeter/dashboard/run_snapshot.h"
#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"

namespace {

using namespace infermeter;

void Write(const std::string& path, std::int64_t requests, std::int32_t chunks) {
  auto store = results::ResultsStore::OpenForWriting(path);
  results::RunInfo info;
  info.name = "dashboard_bench";
  info.engine = "synthetic";
  info.model = "none";
  info.workload_name = "synthetic";
  const RunId run = store.BeginRun(info);
  results::ResultsWriter writer(path);
  constexpr std::int64_t kMs = 1'000'000;
  for (std::int64_t i = 0; i < requests; ++i) {
    results::RequestRecord r;
    r.run_id = run;
    r.request_id = i + 1;
    r.session_id = fmt::format("s{}", i / 8);
    r.turn_index = static_cast<std::int32_t>(i % 8);
    r.scheduled_ns = i * kMs / 4;  // 4,000 requests/s
    r.released_ns = r.scheduled_ns;
    r.sent_ns = r.scheduled_ns + 1000;
    r.input_tokens = 256 + i % 3000;
    std::int64_t t = *r.sent_ns + 40 * kMs + (i % 97) * kMs;
    for (std::int32_t c = 0; c < chunks; ++c, t += 15 * kMs + (c % 5) * kMs) {
      r.chunks.push_back({.time_ns = t, .tokens = 1});
    }
    r.output_tokens = chunks;
    r.first_token_ns = r.chunks.front().time_ns;
    r.last_token_ns = r.chunks.back().time_ns;
    r.done_ns = r.last_token_ns;
    r.finish_reason = "length";
    writer.Add(std::move(r));
  }
  for (int series = 0; series < 20; ++series) {
    for (std::int64_t s = 0; s < 3600; ++s) {
      writer.Add(results::SampleRecord{.run_id = run,
                                       .time_ns = s * 1000 * kMs,
                                       .source = "bench",
                                       .metric = fmt::format("series_{}", series),
                                       .labels_json = "{}",
                                       .value = static_cast<double>(s % 50)});
    }
  }
  writer.Close();
  store.FinishRun(run, results::RunStatus::kCompleted, 1);
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t requests = 1'000'000;
  std::int32_t chunks = 16;
  int repeat = 3;
  std::string db = (std::filesystem::temp_directory_path() / "dashboard_bench.db").string();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr,
                   "usage: dashboard_bench [--requests N] [--chunks K] [--repeat R] [--db FILE]\n");
      return 2;
    }
    const std::string value = argv[++i];
    if (arg == "--requests") {
      requests = std::stoll(value);
    } else if (arg == "--chunks") {
      chunks = std::stoi(value);
    } else if (arg == "--repeat") {
      repeat = std::stoi(value);
    } else if (arg == "--db") {
      db = value;
    } else {
      std::fprintf(stderr, "dashboard_bench: unknown option %s\n", arg.c_str());
      return 2;
    }
  }
  if (!std::filesystem::exists(db)) {
    const auto begin = std::chrono::steady_clock::now();
    Write(db, requests, chunks);
    fmt::print("wrote {} requests x {} chunks to {} in {:.1f} s\n", requests, chunks, db,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  }
  std::vector<double> seconds;
  for (int k = 0; k < repeat; ++k) {
    const auto begin = std::chrono::steady_clock::now();
    const dashboard::RunSnapshot snapshot = dashboard::LoadRunSnapshot(db, RunId{1});
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
    fmt::print("  rep {}: {:.3f} s ({} requests, {} series, ITL from {} gaps{})\n", k,
               seconds.back(), snapshot.requests, snapshot.series.size(), snapshot.itl.count,
               snapshot.itl.sampled ? ", sampled" : "");
  }
  std::sort(seconds.begin(), seconds.end());
  fmt::print("median: {:.3f} s to load the run snapshot\n", seconds[seconds.size() / 2]);
  return 0;
}
