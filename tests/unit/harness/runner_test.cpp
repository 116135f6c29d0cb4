// A whole run into a real SQLite file: stored requests, figures, samples, verdict, status.
#include "infermeter/harness/runner.h"

#include <thread>

#include <gtest/gtest.h>

#include "infermeter/results/store.h"
#include "temp_db.h"
#include "timed_engine.h"
#include "vector_source.h"

namespace infermeter::harness {
namespace {

constexpr std::int64_t kMs = 1'000'000;

double Metric(const std::vector<results::RunMetric>& metrics, const std::string& name) {
  for (const auto& m : metrics) {
    if (m.name == name) return m.value;
  }
  ADD_FAILURE() << "no metric " << name;
  return -1;
}

RunSettings Settings() {
  RunSettings settings;
  settings.info.name = "test";
  settings.info.engine = "timed";
  settings.info.model = "none";
  settings.info.workload_name = "spaced";
  settings.info.workload_hash = "0123";
  settings.sample_interval_ns = 10 * kMs;
  return settings;
}

TEST(RunnerTest, StoresEveryRequestAndFiguresComputedFromThem) {
  testing::TempDir dir;
  const std::string db = dir.File("runs.db");
  testing::TimedEngine engine({.ttft_ns = 4 * kMs, .itl_ns = 1 * kMs});
  const auto source = testing::VectorSource::Spaced(12, 5 * kMs, 8);
  RunSettings settings = Settings();
  settings.load.warmup_requests = 2;
  settings.slo.ttft_ms = 1000;
  int progress_calls = 0;
  RunControl control;
  control.on_progress = [&](const LoadProgress&) { ++progress_calls; };
  const RunOutcome outcome = RunBenchmark(engine, source, settings, db, {}, control);

  EXPECT_EQ(outcome.status, results::RunStatus::kCompleted);
  EXPECT_EQ(outcome.verdict.validity, results::Validity::kValid) << outcome.verdict.reasons.size();
  EXPECT_EQ(outcome.summary.requests_completed, 10);
  EXPECT_EQ(outcome.summary.output_tokens, 80);
  EXPECT_GE(progress_calls, 1);

  auto store = results::ResultsStore::OpenForReading(db);
  const auto run = store.GetRun(outcome.run);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, results::RunStatus::kCompleted);
  EXPECT_EQ(run->validity, results::Validity::kValid);
  EXPECT_EQ(run->request_count, 10);  // warm-up requests are not stored
  const auto metrics = store.LoadRunMetrics(outcome.run);
  EXPECT_EQ(Metric(metrics, "requests_completed"), 10);
  EXPECT_NEAR(Metric(metrics, "ttft_p50_ms"), outcome.summary.ttft_ms.p50, 1e-9);
  EXPECT_GE(Metric(metrics, "ttft_p50_ms"), 4.0);
  EXPECT_GE(Metric(metrics, "client_cpu_per_request_us"), 0.0);
  const auto samples = store.LoadSamples(outcome.run);
  const auto count = [&](const char* source, const char* metric) {
    return std::count_if(samples.begin(), samples.end(),
                         [&](const auto& s) { return s.source == source && s.metric == metric; });
  };
  EXPECT_GE(count("latency", "in_flight_requests"), 2);    // live, every 10 ms, and the last one
  EXPECT_GE(count("requests", "output_tokens_per_s"), 1);  // derived from the stored chunks
}

TEST(RunnerTest, AnInterruptedRunIsStoredInterruptedAndInvalid) {
  testing::TempDir dir;
  const std::string db = dir.File("runs.db");
  testing::TimedEngine engine({.ttft_ns = 1 * kMs, .itl_ns = 10 * kMs});
  const auto source = testing::VectorSource::Spaced(3, 0, 500);
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    stop = true;
  });
  RunControl control;
  control.stop = &stop;
  const RunOutcome outcome = RunBenchmark(engine, source, Settings(), db, {}, control);
  stopper.join();
  EXPECT_EQ(outcome.status, results::RunStatus::kInterrupted);
  EXPECT_EQ(outcome.verdict.validity, results::Validity::kInvalid);
  auto store = results::ResultsStore::OpenForReading(db);
  const auto run = store.GetRun(outcome.run);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, results::RunStatus::kInterrupted);
  ASSERT_FALSE(run->validity_reasons.empty());
  EXPECT_NE(run->validity_reasons[0].find("interrupted"), std::string::npos);
  const auto requests = store.LoadRequests(outcome.run);
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& r : requests) EXPECT_EQ(r.status, results::RequestStatus::kCancelled);
}

TEST(RunnerTest, FailuresAboveTheThresholdMakeTheRunInvalid) {
  testing::TempDir dir;
  testing::TimedEngine engine({.ttft_ns = 1 * kMs, .itl_ns = 1 * kMs, .fail_every = 3});
  const auto source = testing::VectorSource::Spaced(9, 1 * kMs, 2);
  const RunOutcome outcome =
      RunBenchmark(engine, source, Settings(), dir.File("runs.db"), {}, RunControl{});
  EXPECT_EQ(outcome.status, results::RunStatus::kCompleted);
  EXPECT_EQ(outcome.summary.requests_failed, 3);
  EXPECT_EQ(outcome.summary.errors_by_class.at("injected"), 3);
  ASSERT_EQ(outcome.verdict.validity, results::Validity::kInvalid);
  EXPECT_NE(outcome.verdict.reasons[0].find("3 of 9 requests failed"), std::string::npos)
      << outcome.verdict.reasons[0];
}

// The request sink through a whole run: an engine whose answers begin with reasoning chunks and
// that reports HTTP phases, then one that does neither.
TEST(RunnerTest, StoresReasoningAndHttpPhasesAndSummarisesThem) {
  testing::TempDir dir;
  const std::string db = dir.File("runs.db");
  testing::TimedEngine engine(
      {.ttft_ns = 4 * kMs, .itl_ns = 1 * kMs, .reasoning_tokens = 3, .http_phases = true});
  const auto source = testing::VectorSource::Spaced(4, 5 * kMs, 8);
  const RunOutcome outcome = RunBenchmark(engine, source, Settings(), db, {}, RunControl{});
  ASSERT_EQ(outcome.summary.requests_completed, 4);

  auto store = results::ResultsStore::OpenForReading(db);
  const auto requests = store.LoadRequests(outcome.run);
  ASSERT_EQ(requests.size(), 4u);
  for (const auto& r : requests) {
    ASSERT_EQ(r.chunks.size(), 8u);
    // On the harness's clock: sent, then connected, first byte, first (reasoning) token.
    ASSERT_TRUE(r.sent_ns && r.connected_ns && r.first_byte_ns && r.first_token_ns);
    EXPECT_LE(*r.sent_ns, *r.connected_ns);
    EXPECT_LT(*r.connected_ns, *r.first_byte_ns);
    EXPECT_LT(*r.first_byte_ns, *r.first_token_ns);
    // Three reasoning chunks, then the first visible one.
    EXPECT_EQ(r.first_token_ns, r.chunks[0].time_ns);
    EXPECT_EQ(r.first_visible_token_ns, r.chunks[3].time_ns);
    // The usage says nothing about reasoning: the marked chunks are counted.
    EXPECT_EQ(r.reasoning_tokens, 3);
    EXPECT_EQ(r.output_tokens, 8);
  }
  const RunSummary& s = outcome.summary;
  EXPECT_EQ(s.reasoning_tokens, 12);
  EXPECT_EQ(s.reasoning_first_requests, 4);
  EXPECT_EQ(s.ttfvt_ms.count, 4);
  EXPECT_GT(s.ttfvt_ms.min, s.ttft_ms.min + 2.0);  // three 1 ms gaps later, each request
  EXPECT_EQ(s.connect_ms.count, 4);
  EXPECT_EQ(s.first_byte_ms.count, 4);
  const auto metrics = store.LoadRunMetrics(outcome.run);
  EXPECT_EQ(Metric(metrics, "reasoning_tokens"), 12);
  EXPECT_NEAR(Metric(metrics, "ttfvt_p50_ms"), s.ttfvt_ms.p50, 1e-9);
  EXPECT_EQ(Metric(metrics, "connect_count"), 4);
  EXPECT_NEAR(Metric(metrics, "first_byte_p99_ms"), s.first_byte_ms.p99, 1e-9);
}

TEST(RunnerTest, TheUsageCountOfReasoningTokensWinsOverTheMarkedChunks) {
  testing::TempDir dir;
  testing::TimedEngine engine(
      {.ttft_ns = 1 * kMs, .itl_ns = 1 * kMs, .reasoning_tokens = 2, .usage_reasoning_tokens = 5});
  const auto source = testing::VectorSource::Spaced(2, 1 * kMs, 6);
  const RunOutcome outcome =
      RunBenchmark(engine, source, Settings(), dir.File("runs.db"), {}, RunControl{});
  auto store = results::ResultsStore::OpenForReading(dir.File("runs.db"));
  for (const auto& r : store.LoadRequests(outcome.run)) {
    EXPECT_EQ(r.reasoning_tokens, 5);
    EXPECT_EQ(r.first_visible_token_ns, r.chunks.at(2).time_ns);
  }
  EXPECT_EQ(outcome.summary.reasoning_tokens, 10);
}

TEST(RunnerTest, AnEngineWithoutReasoningOrHttpPhasesLeavesThemUnknown) {
  testing::TempDir dir;
  const std::string db = dir.File("runs.db");
  testing::TimedEngine engine({.ttft_ns = 2 * kMs, .itl_ns = 1 * kMs});
  const auto source = testing::VectorSource::Spaced(3, 2 * kMs, 4);
  const RunOutcome outcome = RunBenchmark(engine, source, Settings(), db, {}, RunControl{});
  auto store = results::ResultsStore::OpenForReading(db);
  const auto requests = store.LoadRequests(outcome.run);
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& r : requests) {
    EXPECT_FALSE(r.connected_ns.has_value());
    EXPECT_FALSE(r.first_byte_ns.has_value());
    EXPECT_FALSE(r.reasoning_tokens.has_value());  // the engine's usage says 0: not known
    ASSERT_TRUE(r.first_token_ns.has_value());
    EXPECT_EQ(r.first_visible_token_ns, r.first_token_ns);
  }
  const RunSummary& s = outcome.summary;
  EXPECT_FALSE(s.reasoning_tokens.has_value());
  EXPECT_EQ(s.reasoning_first_requests, 0);
  EXPECT_EQ(s.connect_ms.count, 0);
  EXPECT_EQ(s.first_byte_ms.count, 0);
  EXPECT_EQ(s.ttfvt_ms.count, s.ttft_ms.count);
  EXPECT_EQ(s.ttfvt_ms.p50, s.ttft_ms.p50);
  for (const auto& m : store.LoadRunMetrics(outcome.run)) {
    EXPECT_NE(m.name.rfind("connect_", 0), 0u) << m.name;
    EXPECT_NE(m.name.rfind("first_byte_", 0), 0u) << m.name;
    EXPECT_NE(m.name, "reasoning_tokens");
  }
}

}  // namespace
}  // namespace infermeter::harness
