#include "infermeter/harness/runner.h"

#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "infermeter/core/log.h"
#include "infermeter/harness/latency_collector.h"
#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"
#include "sampling_thread.h"

namespace infermeter::harness {
namespace {

// Stores every measured request, and shows it to the run's listener; warm-up requests are
// awaited but never stored.
class StoringObserver final : public RequestObserver {
 public:
  StoringObserver(results::ResultsWriter& writer, RunListener* listener)
      : writer_(writer), listener_(listener) {}
  void OnRequestFinished(results::RequestRecord record, bool warmup) override {
    if (warmup) return;
    if (listener_) listener_->OnRequestFinished(record);
    writer_.Add(std::move(record));
  }

 private:
  results::ResultsWriter& writer_;
  RunListener* listener_;
};

// Figures about the client itself, so users can see whether it kept up.
void AddClientMetrics(const LoadOutcome& load, RunId run,
                      std::vector<results::RunMetric>& metrics) {
  metrics.push_back({run, "client_cpu_per_request_us", load.ClientCpuPerRequestUs(), "us"});
  metrics.push_back(
      {run, "warmup_requests", static_cast<double>(load.warmup_requests), "requests"});
  metrics.push_back({run, "requests_cancelled_at_drain",
                     static_cast<double>(load.cancelled_at_drain), "requests"});
  metrics.push_back({run, "requests_lost", static_cast<double>(load.lost_requests), "requests"});
}

}  // namespace

RunOutcome RunBenchmark(Engine& engine, const SampleSource& source, const RunSettings& settings,
                        const std::string& db_path, const std::vector<Collector*>& extra_collectors,
                        const RunControl& control) {
  CheckLoadSettings(settings.load);  // before anything is stored
  auto store = results::ResultsStore::OpenForWriting(db_path);
  results::RunInfo info = settings.info;
  info.clock_origin = ClockOrigin::Now();
  RunOutcome outcome;
  outcome.run = store.BeginRun(info);
  const RunId run = outcome.run;
  RunListener* const listener = control.listener;
  try {
    results::ResultsWriter writer(db_path);
    StoringObserver observer(writer, listener);
    LoadGenerator generator(engine, source, settings.load, run, observer);

    LatencyCollector latency(settings.slo);
    std::vector<Collector*> collectors{&latency};
    nlohmann::json collector_record = nlohmann::json::object();
    const CollectorContext context{
        .run = run, .start_ns = MonotonicNs(), .engine = &engine, .progress = [&generator] {
          return generator.Progress();
        }};
    for (Collector* collector : extra_collectors) {
      try {
        collector->Start(context);
        collectors.push_back(collector);
      } catch (const Error& e) {
        collector_record[std::string(collector->Name())] = {{"status", "not running"},
                                                            {"reason", e.what()}};
        outcome.collector_notes.push_back(
            fmt::format("collector '{}' is not running: {}", collector->Name(), e.what()));
        spdlog::debug("{}", outcome.collector_notes.back());  // the caller reports it
      }
    }
    latency.Start(context);
    if (listener) {
      listener->OnRunStarted({.run = run,
                              .info = &info,
                              .slo = settings.slo,
                              .start_unix_ns = info.clock_origin.wall_unix_ns});
    }

    std::function<void()> progress;
    if (control.on_progress) {
      progress = [&control, &generator] { control.on_progress(generator.Progress()); };
    }
    static const std::atomic<bool> kNeverStop{false};
    std::function<void(const std::vector<results::SampleRecord>&)> on_samples;
    if (listener) {
      on_samples = [listener](const std::vector<results::SampleRecord>& samples) {
        listener->OnSampled(samples);
      };
    }
    {
      SamplingThread sampler(collectors, writer, settings.sample_interval_ns, progress,
                             control.progress_interval_ns, std::move(on_samples));
      outcome.load = generator.Run(control.stop ? *control.stop : kNeverStop);
      sampler.Stop();
    }
    writer.Flush();

    // Every figure from here on comes from what was stored.
    const std::vector<results::RequestRecord> requests = store.LoadRequests(run);
    const CollectorSummaryInput input{.run = run,
                                      .start_ns = outcome.load.start_ns,
                                      .end_ns = outcome.load.end_ns,
                                      .requests = &requests};
    std::vector<results::RunMetric> metrics;
    std::vector<results::SampleRecord> samples;
    for (Collector* collector : collectors) {
      collector->Summarize(input, metrics, samples);
      nlohmann::json facts = {{"status", "ran"}};
      for (const auto& [key, value] : collector->Facts()) facts[key] = value;
      collector_record[std::string(collector->Name())] = std::move(facts);
    }
    outcome.collectors_json = collector_record.dump();
    AddClientMetrics(outcome.load, run, metrics);
    outcome.metrics = metrics;
    for (auto& metric : metrics) writer.Add(std::move(metric));
    for (auto& sample : samples) writer.Add(std::move(sample));
    writer.Close();
    store.SetRunCollectors(run, outcome.collectors_json);

    outcome.summary = *latency.summary();
    const bool interrupted = outcome.load.stop_reason == StopReason::kInterrupted;
    ValiditySettings validity = settings.validity;
    validity.exact_output_lengths = validity.exact_output_lengths && settings.load.ignore_eos;
    outcome.verdict = JudgeRun(outcome.summary, validity, interrupted, outcome.load.lost_requests);
    outcome.status =
        interrupted ? results::RunStatus::kInterrupted : results::RunStatus::kCompleted;
    store.SetRunValidity(run, outcome.verdict.validity, outcome.verdict.reasons);
    const std::int64_t end_unix_ns = WallNs();
    store.FinishRun(run, outcome.status, end_unix_ns);
    if (listener) {
      listener->OnRunFinished({.run = run,
                               .status = outcome.status,
                               .validity = outcome.verdict.validity,
                               .metrics = &outcome.metrics,
                               .end_unix_ns = end_unix_ns});
    }
  } catch (...) {
    const std::int64_t end_unix_ns = WallNs();
    if (listener) {
      static const std::vector<results::RunMetric> kNoMetrics;
      listener->OnRunFinished({.run = run,
                               .status = results::RunStatus::kFailed,
                               .validity = std::nullopt,
                               .metrics = &kNoMetrics,
                               .end_unix_ns = end_unix_ns});
    }
    try {
      store.FinishRun(run, results::RunStatus::kFailed, end_unix_ns);
    } catch (const std::exception& e) {
      spdlog::error("run {} could not be marked failed: {}", run.value, e.what());
    }
    throw;
  }
  return outcome;
}

}  // namespace infermeter::harness
