// dashboard_bench: how long the dashboard takes to open a large run (issue #9's target: a run
// with 1M requests in <= 2 s on the 2-core development VM). Writes a results file with one run
// of N requests (K one-token chunks each, as streamed) and an hour of 1 s samples of the 20
// series a GPU run's detail view draws, through the real background writer, then times, side by
// side in one process:
//   snapshot  LoadRunSnapshot alone (the loading core, on the calling thread);
//   window    the real window (offscreen platform): MainWindow::ShowRun until the Run detail view
//             has taken the snapshot and built every chart and table — what the user waits for.
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

#include <QApplication>
#include <QElapsedTimer>
#include <QSignalSpy>

#include <fmt/format.h>

#include "infermeter/dashboard/run_snapshot.h"
#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"
#include "main_window.h"
#include "median.h"

namespace {

using infermeter::bench::Median;

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
  // The series of a 4-GPU run: 8 of the run, 3 per GPU.
  std::vector<std::pair<std::string, std::string>> series = {
      {"output_tokens_per_s", "{}"},  {"input_tokens_per_s", "{}"},
      {"in_flight_requests", "{}"},   {"kv_used_bytes", "{}"},
      {"kv_capacity_bytes", "{}"},    {"flops_per_s", "{}"},
      {"analytic_flops_per_s", "{}"}, {"mfu", "{}"}};
  for (int gpu = 0; gpu < 4; ++gpu) {
    for (const char* metric :
         {"gpu_memory_used_bytes", "gpu_utilization_percent", "gpu_power_watts"}) {
      series.emplace_back(metric, fmt::format(R"({{"gpu":"{}"}})", gpu));
    }
  }
  for (const auto& [metric, labels] : series) {
    for (std::int64_t s = 0; s < 3600; ++s) {
      writer.Add(results::SampleRecord{.run_id = run,
                                       .time_ns = s * 1000 * kMs,
                                       .source = "bench",
                                       .metric = metric,
                                       .labels_json = labels,
                                       .value = static_cast<double>(1 + s % 50)});
    }
  }
  writer.Close();
  store.FinishRun(run, results::RunStatus::kCompleted, 1);
}

}  // namespace

int main(int argc, char** argv) {
  qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
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
  std::vector<double> snapshot_s, window_s;
  dashboard_app::MainWindow window;
  window.resize(1600, 1000);
  window.show();
  window.OpenDatabase(QString::fromStdString(db));
  window.WaitForLoads();
  for (int k = 0; k < repeat; ++k) {
    const auto begin = std::chrono::steady_clock::now();
    const dashboard::RunSnapshot snapshot = dashboard::LoadRunSnapshot(db, RunId{1});
    snapshot_s.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());

    // The window: the detail view rebuilds every chart and table from the new snapshot.
    QSignalSpy loaded(&window, &dashboard_app::MainWindow::runLoaded);
    QElapsedTimer timer;
    timer.start();
    window.ShowRun(1);
    if (!loaded.wait(60'000)) {
      std::fprintf(stderr, "dashboard_bench: the window did not open run 1 in 60 s\n");
      return 1;
    }
    QApplication::processEvents();  // the views lay out and paint
    window_s.push_back(static_cast<double>(timer.nsecsElapsed()) / 1e9);
    fmt::print(
        "  rep {}: snapshot {:.3f} s, window {:.3f} s ({} requests, {} series, ITL from {} "
        "gaps{})\n",
        k, snapshot_s.back(), window_s.back(), snapshot.requests, snapshot.series.size(),
        snapshot.itl.count, snapshot.itl.sampled ? ", sampled" : "");
  }
  fmt::print("median: {:.3f} s to load the run snapshot, {:.3f} s to open it in the window\n",
             Median(snapshot_s), Median(window_s));
  return 0;
}
