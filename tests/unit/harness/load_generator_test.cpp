// The load generator's timing rules, checked against an engine with known timing.
#include "infermeter/harness/load_generator.h"

#include <algorithm>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "infermeter/core/error.h"
#include "timed_engine.h"
#include "vector_source.h"

namespace infermeter::harness {
namespace {

using testing::TimedEngine;
using testing::TimedEngineSettings;
using testing::VectorSource;

constexpr std::int64_t kMs = 1'000'000;

struct Collected final : RequestObserver {
  std::vector<results::RequestRecord> records;
  std::vector<bool> warmups;
  void OnRequestFinished(results::RequestRecord record, bool warmup) override {
    records.push_back(std::move(record));
    warmups.push_back(warmup);
  }
  const results::RequestRecord& Turn(const std::string& session, int turn) const {
    for (const auto& r : records) {
      if (r.session_id == session && r.turn_index == turn) return r;
    }
    throw std::runtime_error("no such request");
  }
};

LoadOutcome RunLoad(Engine& engine, const SampleSource& source, LoadSettings settings,
                    Collected& collected, const std::atomic<bool>* stop = nullptr) {
  static const std::atomic<bool> kNever{false};
  LoadGenerator generator(engine, source, settings, RunId(1), collected);
  return generator.Run(stop ? *stop : kNever);
}

TEST(LoadGeneratorTest, SendsOpenLoopArrivalsOnTimeAndRecordsEveryChunk) {
  TimedEngine engine({.ttft_ns = 3 * kMs, .itl_ns = 1 * kMs});
  const VectorSource source = VectorSource::Spaced(5, 20 * kMs, 4);
  Collected collected;
  const LoadOutcome outcome = RunLoad(engine, source, {}, collected);

  EXPECT_EQ(outcome.stop_reason, StopReason::kEndOfSource);
  EXPECT_EQ(outcome.sent_requests, 5);
  ASSERT_EQ(collected.records.size(), 5u);
  for (const auto& r : collected.records) {
    const int index = std::stoi(r.session_id->substr(1));
    EXPECT_EQ(r.scheduled_ns, outcome.start_ns + index * 20 * kMs);
    EXPECT_EQ(r.released_ns, r.scheduled_ns);
    ASSERT_TRUE(r.sent_ns);
    // Sent at or after the scheduled time, and soon after. The bound is loose on purpose: this
    // checks the rule, not the speed (bench/harness_bench measures that), and CI machines are
    // busy, sanitizers slow.
    EXPECT_GE(*r.sent_ns, r.scheduled_ns);
    EXPECT_LT(*r.sent_ns - r.scheduled_ns, 20 * kMs);
    EXPECT_EQ(r.status, results::RequestStatus::kOk);
    EXPECT_EQ(r.output_tokens, 4);
    EXPECT_EQ(r.requested_output_tokens, 4);
    ASSERT_EQ(r.chunks.size(), 4u);
    EXPECT_GE(r.chunks.front().time_ns - *r.sent_ns, 3 * kMs);
    EXPECT_EQ(r.first_token_ns, r.chunks.front().time_ns);
    EXPECT_EQ(r.last_token_ns, r.chunks.back().time_ns);
    EXPECT_GE(*r.done_ns, *r.last_token_ns);
    EXPECT_TRUE(std::is_sorted(r.chunks.begin(), r.chunks.end(),
                               [](auto& a, auto& b) { return a.time_ns < b.time_ns; }));
  }
}

TEST(LoadGeneratorTest, ATurnIsDueItsThinkTimeAfterItsPredecessorsEnd) {
  TimedEngine engine({.ttft_ns = 2 * kMs, .itl_ns = 1 * kMs});
  // Turn 0; turns 1 and 2 fan out after it; turn 3 fans in after both.
  std::vector<SampleSession> sessions{
      {.id = "agent",
       .turns = {
           {.arrival_offset_ns = 0, .input_tokens = 8, .output_tokens = 3},
           {.after_turns = {0}, .think_time_ns = 10 * kMs, .input_tokens = 8, .output_tokens = 2},
           {.after_turns = {0}, .think_time_ns = 10 * kMs, .input_tokens = 8, .output_tokens = 6},
           {.after_turns = {1, 2},
            .think_time_ns = 5 * kMs,
            .input_tokens = 8,
            .output_tokens = 1}}}};
  const VectorSource source(sessions);
  Collected collected;
  RunLoad(engine, source, {}, collected);
  ASSERT_EQ(collected.records.size(), 4u);
  const auto& t0 = collected.Turn("agent", 0);
  const auto& t1 = collected.Turn("agent", 1);
  const auto& t2 = collected.Turn("agent", 2);
  const auto& t3 = collected.Turn("agent", 3);
  EXPECT_EQ(t1.scheduled_ns, *t0.done_ns + 10 * kMs);
  EXPECT_EQ(t2.scheduled_ns, *t0.done_ns + 10 * kMs);
  // The two parallel calls overlap.
  EXPECT_LT(*t1.sent_ns, *t2.done_ns);
  EXPECT_LT(*t2.sent_ns, *t1.done_ns);
  EXPECT_EQ(t3.scheduled_ns, std::max(*t1.done_ns, *t2.done_ns) + 5 * kMs);
  for (const auto& r : collected.records) EXPECT_EQ(r.session_id, "agent");
}

// The most requests in flight at any moment, from the records' send and end times.
int MaxInFlight(const std::vector<results::RequestRecord>& records) {
  std::vector<std::pair<std::int64_t, int>> events;
  for (const auto& r : records) {
    events.push_back({*r.sent_ns, +1});
    events.push_back({*r.done_ns, -1});
  }
  std::sort(events.begin(), events.end());  // an end sorts before a send at the same time
  int now = 0, most = 0;
  for (const auto& [time, delta] : events) most = std::max(most, now += delta);
  return most;
}

TEST(LoadGeneratorTest, ClosedLoopKeepsConcurrencyRequestsInFlight) {
  TimedEngine engine({.ttft_ns = 2 * kMs, .itl_ns = 1 * kMs});
  const VectorSource source = VectorSource::Spaced(9, 0, 5);
  Collected collected;
  LoadSettings settings{.mode = LoadMode::kClosedLoop, .max_concurrency = 3};
  RunLoad(engine, source, settings, collected);
  ASSERT_EQ(collected.records.size(), 9u);
  EXPECT_EQ(MaxInFlight(collected.records), 3);
  // A closed loop schedules a request when a slot frees: it is never late against that.
  for (const auto& r : collected.records) EXPECT_LT(*r.sent_ns - r.scheduled_ns, 20 * kMs);
}

TEST(LoadGeneratorTest, AConcurrencyCapHoldsDueRequestsAndRecordsTheWait) {
  TimedEngine engine({.ttft_ns = 10 * kMs, .itl_ns = 1 * kMs});
  const VectorSource source = VectorSource::Spaced(3, 1 * kMs, 2);  // all due at once
  Collected collected;
  RunLoad(engine, source, {.max_concurrency = 1}, collected);
  ASSERT_EQ(collected.records.size(), 3u);
  EXPECT_EQ(MaxInFlight(collected.records), 1);
  const auto& second = collected.Turn("s1", 0);
  const auto& first = collected.Turn("s0", 0);
  // Released when the first request ended, long after it was scheduled.
  EXPECT_EQ(*second.released_ns, *first.done_ns);
  EXPECT_GT(*second.released_ns - second.scheduled_ns, 5 * kMs);
  EXPECT_LT(*second.sent_ns - *second.released_ns, 20 * kMs);
}

TEST(LoadGeneratorTest, WarmUpRequestsAreAwaitedButFlagged) {
  TimedEngine engine({.ttft_ns = 1 * kMs, .itl_ns = 1 * kMs});
  const VectorSource source = VectorSource::Spaced(6, 1 * kMs, 2);
  Collected collected;
  const LoadOutcome outcome = RunLoad(engine, source, {.warmup_requests = 2}, collected);
  EXPECT_EQ(outcome.warmup_requests, 2);
  EXPECT_EQ(outcome.sent_requests, 4);
  EXPECT_EQ(std::count(collected.warmups.begin(), collected.warmups.end(), true), 2);
}

TEST(LoadGeneratorTest, StopsAfterMaxRequestsOrDuration) {
  TimedEngine engine({.ttft_ns = 1 * kMs, .itl_ns = 1 * kMs});
  {
    const VectorSource source = VectorSource::Spaced(20, 1 * kMs, 2);
    Collected collected;
    const auto outcome = RunLoad(engine, source, {.max_requests = 5}, collected);
    EXPECT_EQ(outcome.stop_reason, StopReason::kMaxRequests);
    EXPECT_EQ(collected.records.size(), 5u);
  }
  {
    const VectorSource source = VectorSource::Spaced(100, 10 * kMs, 2);
    Collected collected;
    const auto outcome = RunLoad(engine, source, {.max_duration_ns = 55 * kMs}, collected);
    EXPECT_EQ(outcome.stop_reason, StopReason::kMaxDuration);
    // Due at 0, 10, ..., 50 ms; one due at 50 ms may miss the end if the scheduler is late.
    EXPECT_GE(collected.records.size(), 4u);
    EXPECT_LE(collected.records.size(), 6u);
  }
}

TEST(LoadGeneratorTest, AnInterruptCancelsWhatIsInFlightAndRecordsIt) {
  TimedEngine engine({.ttft_ns = 1 * kMs, .itl_ns = 5 * kMs});
  const VectorSource source = VectorSource::Spaced(4, 0, 1000);  // 5 s each
  Collected collected;
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop = true;
  });
  const auto outcome = RunLoad(engine, source, {}, collected, &stop);
  stopper.join();
  EXPECT_EQ(outcome.stop_reason, StopReason::kInterrupted);
  ASSERT_EQ(collected.records.size(), 4u);
  for (const auto& r : collected.records) {
    EXPECT_EQ(r.status, results::RequestStatus::kCancelled);
    EXPECT_EQ(r.finish_reason, "cancelled");
    EXPECT_GT(r.output_tokens, 0);
    EXPECT_LT(r.output_tokens, 1000);
  }
}

TEST(LoadGeneratorTest, RequestsAnEngineNeverEndsAreRecordedAsLost) {
  TimedEngine engine({.ttft_ns = 1 * kMs, .itl_ns = 5 * kMs, .ignore_cancel = true});
  const VectorSource source = VectorSource::Spaced(2, 0, 100000);
  Collected collected;
  LoadSettings settings;
  settings.drain_timeout_ns = 30 * kMs;
  settings.cancel_timeout_ns = 30 * kMs;
  const auto outcome = RunLoad(engine, source, settings, collected);
  EXPECT_EQ(outcome.cancelled_at_drain, 2);
  EXPECT_EQ(outcome.lost_requests, 2);
  ASSERT_EQ(collected.records.size(), 2u);
  for (const auto& r : collected.records) {
    EXPECT_EQ(r.status, results::RequestStatus::kCancelled);
    EXPECT_EQ(r.error_class, "no_answer_after_cancel");
    EXPECT_FALSE(r.chunks.empty());
  }
  engine.Shutdown();  // its late cancellations must not reach the finished run
}

TEST(LoadGeneratorTest, EngineFailuresAreRecordedWithTheirClassAndSessionsGoOn) {
  TimedEngine engine({.ttft_ns = 1 * kMs, .itl_ns = 1 * kMs, .fail_every = 2});
  std::vector<SampleSession> sessions{
      {.id = "a",
       .turns = {{.input_tokens = 4, .output_tokens = 2},
                 {.after_turns = {0}, .input_tokens = 4, .output_tokens = 2}}}};
  const VectorSource source(sessions);
  Collected collected;
  RunLoad(engine, source, {}, collected);
  ASSERT_EQ(collected.records.size(), 2u);
  const auto& failed = collected.Turn("a", 1);  // request id 2
  EXPECT_EQ(failed.status, results::RequestStatus::kError);
  EXPECT_EQ(failed.error_class, "injected");
  EXPECT_EQ(failed.error_message, "injected failure");
}

TEST(LoadGeneratorTest, MultiTokenChunksKeepTheirTokenCounts) {
  TimedEngine engine({.ttft_ns = 1 * kMs, .itl_ns = 1 * kMs, .tokens_per_chunk = 3});
  const VectorSource source = VectorSource::Spaced(1, 0, 7);
  Collected collected;
  RunLoad(engine, source, {}, collected);
  ASSERT_EQ(collected.records.size(), 1u);
  const auto& r = collected.records[0];
  ASSERT_EQ(r.chunks.size(), 3u);
  EXPECT_EQ(r.chunks[0].tokens, 3);
  EXPECT_EQ(r.chunks[2].tokens, 1);
  EXPECT_EQ(r.output_tokens, 7);
}

TEST(LoadGeneratorTest, RejectsSettingsThatMakeNoSense) {
  TimedEngine engine({});
  const VectorSource source = VectorSource::Spaced(1, 0, 1);
  Collected collected;
  EXPECT_THROW(LoadGenerator(engine, source, {.mode = LoadMode::kClosedLoop}, RunId(1), collected),
               InputError);
  EXPECT_THROW(LoadGenerator(engine, source, {.max_concurrency = 0}, RunId(1), collected),
               InputError);
  const VectorSource bad({{.id = "x", .turns = {{.after_turns = {0}}}}});
  EXPECT_THROW(LoadGenerator(engine, bad, {}, RunId(1), collected), InputError);
}

}  // namespace
}  // namespace infermeter::harness
