// Many threads submitting and cancelling at once against a KV budget small enough to force
// preemptions: every request still ends exactly once, with exact lengths unless cancelled.
// Run under AddressSanitizer by scripts/test (label `unit`).

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "infermeter/engines/reference_engine.h"
#include "test_sink.h"

namespace infermeter {
namespace {

using testing::Prompt;
using testing::TestSink;

TEST(ReferenceEngineConcurrency, SubmitAndCancelFromManyThreads) {
  engines::ReferenceEngineOptions options;
  options.model = "tiny";
  options.threads = 2;
  options.kv_cache_bytes = 6ll << 20;  // a few requests' worth: forces preemption
  options.max_running_requests = 12;
  options.max_step_tokens = 256;
  auto engine = engines::MakeReferenceEngine(options);

  constexpr int kThreads = 4;
  constexpr int kPerThread = 8;
  std::vector<std::shared_ptr<TestSink>> sinks(kThreads * kPerThread);
  std::vector<std::int64_t> wanted(sinks.size());
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < kPerThread; ++i) {
        const int index = t * kPerThread + i;
        sinks[index] = std::make_shared<TestSink>();
        EngineRequest request;
        request.id = RequestId(index + 1);
        request.prompt_tokens = Prompt(40 + rng() % 300, static_cast<TokenId>(3 + index));
        wanted[index] = 4 + static_cast<std::int64_t>(rng() % 40);
        request.max_output_tokens = wanted[index];
        request.ignore_eos = true;
        engine->Submit(std::move(request), sinks[index]);
      }
    });
  }
  for (auto& thread : submitters) thread.join();
  // Cancel every fifth request while the engine is busy.
  std::thread canceller([&] {
    for (int index = 0; index < static_cast<int>(sinks.size()); index += 5) {
      engine->Cancel(RequestId(index + 1));
    }
  });
  canceller.join();

  int cancelled = 0;
  for (std::size_t index = 0; index < sinks.size(); ++index) {
    const auto& sink = sinks[index];
    ASSERT_TRUE(sink->Wait()) << "request " << index + 1 << " never ended";
    EXPECT_EQ(sink->terminal_calls(), 1);
    EXPECT_FALSE(sink->chunk_after_end());
    ASSERT_TRUE(sink->finish()) << sink->failure()->message;
    const EngineFinish finish = *sink->finish();
    EXPECT_EQ(finish.usage.completion_tokens, sink->token_count());
    if (finish.reason == FinishReason::kCancelled) {
      ++cancelled;
      EXPECT_EQ(index % 5, 0u);
    } else {
      EXPECT_EQ(finish.reason, FinishReason::kLength);
      EXPECT_EQ(finish.usage.completion_tokens, wanted[index]);
    }
  }
  const EngineStats stats = engine->Stats();
  EXPECT_EQ(stats.running_requests, 0);
  EXPECT_EQ(stats.waiting_requests, 0);
  EXPECT_LE(stats.kv_peak_used_bytes, stats.kv_capacity_bytes);
  EXPECT_GT(stats.preemptions, 0) << "the budget was meant to force preemption";
  RecordProperty("cancelled", cancelled);
}

}  // namespace
}  // namespace infermeter
