// harness_bench: is the client ever the bottleneck? Drives the load generator at a fixed request
// rate against a zero-latency in-process engine (every request answered inline, inside Submit),
// so everything measured is the harness's own cost:
//   - client CPU per request: the scheduler thread's CPU time (sending, per-request sinks,
//     bookkeeping, handing records over) less its deliberate spinning before send times,
//     divided by the requests sent;
//   - schedule lag (sent - released) percentiles: how late the dedicated scheduler sends;
//   - with --store, the same through RunBenchmark into a real SQLite file (writer thread,
//     sampling thread, summary from the stored rows), and the process's CPU per request.
//
// Usage: harness_bench [--rate R] [--requests N] [--input-tokens N] [--output-tokens N]
//                      [--repeat K] [--store] [--compare-metrics]
// --compare-metrics (implies --store) runs each repetition twice, without and then with the live
// Prometheus exporter following the run (exporter/live_run_exporter.h), and prints both medians
// and their ratio: what exporting live costs the client, side by side on the same machine.
// --rate 0 makes every request due at once: the generator then sends back to back, and the wall
// time per request is the client's whole cost per request (no sleeping, no spinning).
// Prints one line per repetition and the medians; docs/PERFORMANCE.md quotes them.

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "infermeter/core/clock.h"
#include "infermeter/exporter/live_run_exporter.h"
#include "infermeter/harness/load_generator.h"
#include "infermeter/harness/metrics.h"
#include "infermeter/harness/runner.h"
#include "infermeter/workloads/generators.h"
#include "infermeter/workloads/trace_sample_source.h"
#include "median.h"

namespace {

using infermeter::bench::Median;

using namespace infermeter;

// Answers every request inside Submit: `max_output_tokens` one-token chunks, then the finish.
class ZeroLatencyEngine final : public Engine {
 public:
  EngineDescription Describe() const override { return {"zero-latency", "none", "bench"}; }
  void Submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) override {
    const std::int64_t now = MonotonicNs();
    for (std::int64_t i = 0; i < request.max_output_tokens; ++i) {
      sink->OnChunk({request.id, {}, 1, {}, now});
    }
    sink->OnFinish(
        {request.id,
         {static_cast<std::int64_t>(request.prompt_tokens.size()), 0, request.max_output_tokens},
         FinishReason::kLength,
         now});
  }
  void Cancel(RequestId) override {}
  EngineStats Stats() const override { return {}; }
  void Shutdown() override {}
};

class KeepingObserver final : public harness::RequestObserver {
 public:
  std::vector<results::RequestRecord> records;
  void OnRequestFinished(results::RequestRecord record, bool) override {
    records.push_back(std::move(record));
  }
};

std::int64_t ProcessCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Options {
  double rate = 2000;
  std::int64_t requests = 20000;
  std::int64_t input_tokens = 128;
  std::int64_t output_tokens = 16;
  int repeat = 5;
  bool store = false;
  bool compare_metrics = false;
};

workloads::TraceSampleSource MakeSource(const Options& o) {
  workloads::SyntheticSettings s;
  s.requests = o.requests;
  s.input_tokens = {.kind = workloads::Distribution::Kind::kFixed,
                    .a = static_cast<double>(o.input_tokens)};
  s.output_tokens = {.kind = workloads::Distribution::Kind::kFixed,
                     .a = static_cast<double>(o.output_tokens)};
  s.arrivals = {.kind = workloads::ArrivalSettings::Kind::kPoisson,
                .rate_per_s = o.rate > 0 ? o.rate : 1.0};
  workloads::Trace trace = workloads::GenerateSynthetic(s);
  if (o.rate == 0) {  // all due at once: the generator sends as fast as it can
    for (auto& session : trace.sessions) session.turns[0].arrival_offset_ns = 0;
  }
  return workloads::TraceSampleSource(std::move(trace), {}, "harness_bench");
}

struct Result {
  double client_us_per_request = 0;   // scheduler thread CPU / requests
  double process_us_per_request = 0;  // whole process CPU / requests (with --store: writer too)
  double lag_p50_us = 0, lag_p99_us = 0, lag_max_us = 0;
  double achieved_rate = 0;
  double wall_us_per_request = 0;
};

Result Once(const Options& o, const workloads::TraceSampleSource& source, int index,
            bool live_metrics) {
  ZeroLatencyEngine engine;
  static const std::atomic<bool> kNever{false};
  Result r;
  std::vector<double> lags_ms;
  const std::int64_t cpu0 = ProcessCpuNs();
  harness::LoadOutcome load;
  if (o.store) {
    const auto path = std::filesystem::temp_directory_path() /
                      fmt::format("harness_bench_{}_{}.db", getpid(), index);
    harness::RunSettings settings;
    settings.info.name = "harness_bench";
    settings.info.engine = "zero-latency";
    exporter::LiveRunExporter live;
    harness::RunControl control;
    if (live_metrics) control.listener = &live;
    const auto outcome =
        harness::RunBenchmark(engine, source, settings, path.string(), {}, control);
    load = outcome.load;
    r.lag_p50_us = outcome.summary.schedule_lag_ms.p50 * 1e3;
    r.lag_p99_us = outcome.summary.schedule_lag_ms.p99 * 1e3;
    r.lag_max_us = outcome.summary.schedule_lag_ms.max * 1e3;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path.string() + suffix);
    }
  } else {
    KeepingObserver observer;
    harness::LoadGenerator generator(engine, source, {}, RunId(1), observer);
    load = generator.Run(kNever);
    for (const auto& rec : observer.records) {
      lags_ms.push_back(static_cast<double>(*rec.sent_ns - *rec.released_ns) / 1e6);
    }
    const harness::Distribution lag = harness::Summarize(lags_ms);
    r.lag_p50_us = lag.p50 * 1e3;
    r.lag_p99_us = lag.p99 * 1e3;
    r.lag_max_us = lag.max * 1e3;
  }
  const std::int64_t cpu1 = ProcessCpuNs();
  const auto sent = static_cast<double>(load.sent_requests);
  r.client_us_per_request = load.ClientCpuPerRequestUs();
  r.process_us_per_request = static_cast<double>(cpu1 - cpu0) / 1e3 / sent;
  r.achieved_rate = sent / (static_cast<double>(load.end_ns - load.start_ns) / 1e9);
  r.wall_us_per_request = static_cast<double>(load.end_ns - load.start_ns) / 1e3 / sent;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto next = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "harness_bench: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return std::string(argv[++i]);
    };
    if (arg == "--rate") {
      o.rate = std::stod(next());
    } else if (arg == "--requests") {
      o.requests = std::stoll(next());
    } else if (arg == "--input-tokens") {
      o.input_tokens = std::stoll(next());
    } else if (arg == "--output-tokens") {
      o.output_tokens = std::stoll(next());
    } else if (arg == "--repeat") {
      o.repeat = std::stoi(next());
    } else if (arg == "--store") {
      o.store = true;
    } else if (arg == "--compare-metrics") {
      o.store = true;
      o.compare_metrics = true;
    } else {
      std::fprintf(stderr,
                   "usage: harness_bench [--rate R] [--requests N] [--input-tokens N] "
                   "[--output-tokens N] [--repeat K] [--store] [--compare-metrics]\n");
      return 2;
    }
  }
  const auto source = MakeSource(o);
  fmt::print(
      "harness_bench: {} requests at {} req/s (Poisson; 0 = all at once), {} input / {} "
      "output tokens, {}\n",
      o.requests, o.rate, o.input_tokens, o.output_tokens,
      o.store ? "stored through RunBenchmark into SQLite" : "load generator only");
  struct Series {
    std::vector<double> client, process, wall, p50, p99, max, rate;
    void Add(const Result& r) {
      wall.push_back(r.wall_us_per_request);
      client.push_back(r.client_us_per_request);
      process.push_back(r.process_us_per_request);
      p50.push_back(r.lag_p50_us);
      p99.push_back(r.lag_p99_us);
      max.push_back(r.lag_max_us);
      rate.push_back(r.achieved_rate);
    }
    void Print(const char* what) const {
      fmt::print(
          "median{}: client {:.2f} us/req, process {:.2f} us/req, wall {:.2f} us/req, lag p50 "
          "{:.1f} us p99 {:.1f} us max {:.1f} us, achieved {:.0f} req/s\n",
          what, Median(client), Median(process), Median(wall), Median(p50), Median(p99),
          Median(max), Median(rate));
    }
  };
  Series without, with;
  for (int k = 0; k < o.repeat; ++k) {
    for (const bool live : {false, true}) {
      if (live && !o.compare_metrics) continue;
      const Result r = Once(o, source, k, live);
      fmt::print(
          "  rep {}{}: client {:.2f} us/req, process {:.2f} us/req, wall {:.2f} us/req, lag p50 "
          "{:.1f} us p99 {:.1f} us max {:.1f} us, achieved {:.0f} req/s\n",
          k, live ? " (live metrics)" : "", r.client_us_per_request, r.process_us_per_request,
          r.wall_us_per_request, r.lag_p50_us, r.lag_p99_us, r.lag_max_us, r.achieved_rate);
      (live ? with : without).Add(r);
    }
  }
  without.Print(o.compare_metrics ? " without live metrics" : "");
  if (o.compare_metrics) {
    with.Print(" with live metrics   ");
    fmt::print("ratio with/without: client {:.3f}, process {:.3f}, lag p99 {:.3f}\n",
               Median(with.client) / Median(without.client),
               Median(with.process) / Median(without.process),
               Median(with.p99) / Median(without.p99));
  }
  return 0;
}
