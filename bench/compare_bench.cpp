// compare_bench: how long `infermeter compare` and `infermeter report` take on large runs. Writes
// a results file with two like-for-like runs of N requests each (K streamed one-token chunks per
// request; the second run about 30% slower), their summary figures computed by the harness
// (harness::SummarizeRun) and their 1 s throughput series, through the real background writer;
// then times, side by side in one process:
//   compare   compare::Compare with --bootstrap 1000 (reads both runs' requests, resamples every
//             latency family over requests and every rate over 1 s blocks);
//   report    compare, the report's charts (two run snapshots) and the HTML with its six PNGs.
//
// Usage: compare_bench [--requests N] [--chunks K] [--repeat R] [--resamples B] [--db FILE]
// The file is kept (and reused when it exists) so repeated measurements skip the writing.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "infermeter/compare/comparison.h"
#include "infermeter/compare/subject.h"
#include "infermeter/harness/metrics.h"
#include "infermeter/report/report_charts.h"
#include "infermeter/report/report_documents.h"
#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"
#include "median.h"

namespace {

using infermeter::bench::Median;

using namespace infermeter;

constexpr std::int64_t kMs = 1'000'000;

// One run: 100 requests/s; TTFT and chunk gaps stretched by `slowdown`.
void WriteRun(results::ResultsStore& store, const std::string& path, const std::string& name,
              std::int64_t requests, std::int32_t chunks, double slowdown) {
  results::RunInfo info;
  info.name = name;
  info.engine = "synthetic";
  info.model = "none";
  info.workload_name = "synthetic";
  info.workload_hash = "compare-bench";
  const RunId run = store.BeginRun(info);
  std::vector<results::RequestRecord> all;
  all.reserve(static_cast<std::size_t>(requests));
  for (std::int64_t i = 0; i < requests; ++i) {
    results::RequestRecord r;
    r.run_id = run;
    r.request_id = i + 1;
    r.scheduled_ns = i * 10 * kMs;
    r.released_ns = r.scheduled_ns;
    r.sent_ns = r.scheduled_ns + 1000;
    r.input_tokens = 256 + i % 3000;
    auto t = static_cast<std::int64_t>(*r.sent_ns + slowdown * (40 + i % 97) * kMs);
    for (std::int32_t c = 0; c < chunks; ++c) {
      r.chunks.push_back({.time_ns = t, .tokens = 1});
      t += static_cast<std::int64_t>(slowdown * (15 + (i + c) % 7) * kMs);
    }
    r.output_tokens = chunks;
    r.first_token_ns = r.chunks.front().time_ns;
    r.last_token_ns = r.chunks.back().time_ns;
    r.done_ns = r.last_token_ns;
    r.finish_reason = "length";
    all.push_back(r);
  }
  const harness::RunSummary summary = harness::SummarizeRun(all, {});
  results::ResultsWriter writer(path);
  for (results::RequestRecord& r : all) writer.Add(std::move(r));
  for (results::RunMetric& m : harness::ToRunMetrics(summary, run)) writer.Add(std::move(m));
  for (const harness::SeriesPoint& p : summary.output_tokens_per_s_1s) {
    writer.Add(results::SampleRecord{.run_id = run,
                                     .time_ns = p.time_ns,
                                     .source = "requests",
                                     .metric = "output_tokens_per_s",
                                     .value = p.value});
  }
  writer.Close();
  store.FinishRun(run, results::RunStatus::kCompleted, 1);
}

double SecondsSince(std::chrono::steady_clock::time_point begin) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t requests = 100'000;
  std::int32_t chunks = 64;
  int repeat = 5;
  int resamples = 1000;
  std::string db = (std::filesystem::temp_directory_path() / "compare_bench.db").string();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr,
                   "usage: compare_bench [--requests N] [--chunks K] [--repeat R] "
                   "[--resamples B] [--db FILE]\n");
      return 2;
    }
    const std::string value = argv[++i];
    if (arg == "--requests") {
      requests = std::stoll(value);
    } else if (arg == "--chunks") {
      chunks = std::stoi(value);
    } else if (arg == "--repeat") {
      repeat = std::stoi(value);
    } else if (arg == "--resamples") {
      resamples = std::stoi(value);
    } else if (arg == "--db") {
      db = value;
    } else {
      std::fprintf(stderr, "compare_bench: unknown option %s\n", arg.c_str());
      return 2;
    }
  }
  if (!std::filesystem::exists(db)) {
    const auto begin = std::chrono::steady_clock::now();
    auto store = results::ResultsStore::OpenForWriting(db);
    WriteRun(store, db, "fast", requests, chunks, 1.0);
    WriteRun(store, db, "slow", requests, chunks, 1.3);
    fmt::print("wrote 2 runs x {} requests x {} chunks to {} in {:.1f} s\n", requests, chunks, db,
               SecondsSince(begin));
  }
  const std::vector<compare::Subject> subjects = compare::LoadSubjects(
      db, {compare::ParseSubjectRef("1", "RUN"), compare::ParseSubjectRef("2", "RUN")});
  const compare::CompareSettings settings{.resamples = resamples};
  std::vector<double> compare_s, report_s;
  std::size_t html_bytes = 0, rows = 0;
  for (int k = 0; k < repeat; ++k) {
    auto begin = std::chrono::steady_clock::now();
    const compare::ComparisonTable table = compare::Compare(db, subjects, settings);
    compare_s.push_back(SecondsSince(begin));
    rows = table.rows.size();

    begin = std::chrono::steady_clock::now();
    const compare::ComparisonTable again = compare::Compare(db, subjects, settings);
    const auto charts = report::ReportCharts(db, subjects);
    html_bytes = report::HtmlReport(again, subjects, charts, {}).size();
    report_s.push_back(SecondsSince(begin));
  }
  fmt::print("{} rows, HTML {:.0f} KiB\n", rows, html_bytes / 1024.0);
  fmt::print("compare (bootstrap {}): median {:.2f} s, range {:.2f}-{:.2f} s over {}\n", resamples,
             Median(compare_s), *std::min_element(compare_s.begin(), compare_s.end()),
             *std::max_element(compare_s.begin(), compare_s.end()), repeat);
  fmt::print("report (compare + charts + HTML): median {:.2f} s, range {:.2f}-{:.2f} s\n",
             Median(report_s), *std::min_element(report_s.begin(), report_s.end()),
             *std::max_element(report_s.begin(), report_s.end()));
  return 0;
}
