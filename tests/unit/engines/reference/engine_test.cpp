// The reference engine through the Engine interface: lengths, determinism, prefix caching,
// cancellation, errors and stats, on the `tiny` preset (every V4 layer kind and both MoE kinds).

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "infermeter/core/error.h"
#include "infermeter/engines/reference_engine.h"
#include "test_sink.h"

namespace infermeter {
namespace {

using testing::Prompt;
using testing::TestSink;

engines::ReferenceEngineOptions TinyOptions() {
  engines::ReferenceEngineOptions options;
  options.model = "tiny";
  options.kv_cache_bytes = 64ll << 20;
  options.threads = 2;
  return options;
}

EngineRequest Request(std::int64_t id, std::vector<TokenId> prompt, std::int64_t max_tokens) {
  EngineRequest request;
  request.id = RequestId(id);
  request.prompt_tokens = std::move(prompt);
  request.max_output_tokens = max_tokens;
  request.ignore_eos = true;
  return request;
}

std::shared_ptr<TestSink> RunToEnd(Engine& engine, EngineRequest request) {
  auto sink = std::make_shared<TestSink>();
  engine.Submit(std::move(request), sink);
  EXPECT_TRUE(sink->Wait());
  return sink;
}

TEST(ReferenceEngine, IgnoreEosGivesExactLengthAndUsage) {
  auto engine = engines::MakeReferenceEngine(TinyOptions());
  auto sink = RunToEnd(*engine, Request(1, Prompt(50), 20));
  ASSERT_TRUE(sink->finish()) << sink->failure()->message;
  EXPECT_EQ(sink->finish()->reason, FinishReason::kLength);
  EXPECT_EQ(sink->finish()->usage.prompt_tokens, 50);
  EXPECT_EQ(sink->finish()->usage.completion_tokens, 20);
  EXPECT_EQ(sink->tokens().size(), 20u);
  EXPECT_EQ(sink->token_count(), 20);
  EXPECT_EQ(sink->terminal_calls(), 1);
  for (const TokenId t : sink->tokens()) {
    EXPECT_GE(t, 0);
    EXPECT_LT(t, 1024);
  }
}

TEST(ReferenceEngine, SameSeedSameTokensOtherSeedOtherTokens) {
  auto run = [](std::uint64_t seed) {
    auto options = TinyOptions();
    options.seed = seed;
    auto engine = engines::MakeReferenceEngine(options);
    return RunToEnd(*engine, Request(1, Prompt(40), 16))->tokens();
  };
  const auto first = run(3);
  EXPECT_EQ(first, run(3));
  EXPECT_NE(first, run(4));
}

TEST(ReferenceEngine, SampledTokensFollowTheSamplingSeed) {
  auto engine = engines::MakeReferenceEngine(TinyOptions());
  auto sampled = [&](std::int64_t id, std::uint64_t seed) {
    EngineRequest request = Request(id, Prompt(30), 24);
    request.sampling = {.temperature = 1.0, .top_p = 0.95, .top_k = 50, .seed = seed};
    return RunToEnd(*engine, std::move(request))->tokens();
  };
  EXPECT_EQ(sampled(1, 9), sampled(2, 9));
  EXPECT_NE(sampled(3, 9), sampled(4, 10));
}

TEST(ReferenceEngine, RepeatedPromptIsServedFromThePrefixCache) {
  auto engine = engines::MakeReferenceEngine(TinyOptions());
  auto first = RunToEnd(*engine, Request(1, Prompt(300), 8));
  ASSERT_TRUE(first->finish());
  EXPECT_EQ(first->finish()->usage.cached_prompt_tokens, 0);
  auto second = RunToEnd(*engine, Request(2, Prompt(300), 8));
  ASSERT_TRUE(second->finish());
  // Two full 128-token blocks; the rest of the prompt is computed again.
  EXPECT_EQ(second->finish()->usage.cached_prompt_tokens, 256);
  EXPECT_EQ(second->tokens().size(), 8u);
  const EngineStats stats = engine->Stats();
  EXPECT_EQ(stats.prefix_cache_queried_tokens, 600);
  EXPECT_EQ(stats.prefix_cache_hit_tokens, 256);

  auto options = TinyOptions();
  options.prefix_caching = false;
  auto uncached = engines::MakeReferenceEngine(options);
  RunToEnd(*uncached, Request(1, Prompt(300), 8));
  auto again = RunToEnd(*uncached, Request(2, Prompt(300), 8));
  EXPECT_EQ(again->finish()->usage.cached_prompt_tokens, 0);
}

TEST(ReferenceEngine, CancelEndsARunningRequest) {
  auto engine = engines::MakeReferenceEngine(TinyOptions());
  auto sink = std::make_shared<TestSink>();
  engine->Submit(Request(7, Prompt(20), 100000), sink);
  while (sink->token_count() < 3) std::this_thread::yield();
  engine->Cancel(RequestId(7));
  ASSERT_TRUE(sink->Wait());
  ASSERT_TRUE(sink->finish());
  EXPECT_EQ(sink->finish()->reason, FinishReason::kCancelled);
  EXPECT_LT(sink->finish()->usage.completion_tokens, 100000);
  EXPECT_EQ(sink->finish()->usage.completion_tokens, sink->token_count());
  engine->Cancel(RequestId(12345));  // unknown ids are ignored
  EXPECT_EQ(engine->Stats().running_requests, 0);
}

TEST(ReferenceEngine, BadRequestsGetErrorsNotExceptions) {
  auto engine = engines::MakeReferenceEngine(TinyOptions());
  auto expect_error = [&](EngineRequest request, const std::string& words) {
    auto sink = RunToEnd(*engine, std::move(request));
    ASSERT_TRUE(sink->failure()) << words;
    EXPECT_NE(sink->failure()->message.find(words), std::string::npos) << sink->failure()->message;
    EXPECT_EQ(sink->terminal_calls(), 1);
  };
  expect_error(Request(1, {}, 4), "empty");
  expect_error(Request(2, {5, 6, 5000}, 4), "prompt token 2 is 5000");
  expect_error(Request(3, Prompt(5), 0), "max_output_tokens");
  expect_error(Request(4, Prompt(5), 2'000'000), "context");
  // The engine still works afterwards.
  EXPECT_TRUE(RunToEnd(*engine, Request(5, Prompt(5), 2))->finish());
}

TEST(ReferenceEngine, TextPromptsAreTokenizedAsBytes) {
  auto engine = engines::MakeReferenceEngine(TinyOptions());
  EngineRequest request;
  request.id = RequestId(1);
  request.prompt_text = "hello, world";
  request.max_output_tokens = 3;
  request.ignore_eos = true;
  auto sink = RunToEnd(*engine, std::move(request));
  ASSERT_TRUE(sink->finish());
  EXPECT_EQ(sink->finish()->usage.prompt_tokens, 12);
}

TEST(ReferenceEngine, RefusesWeightsThatDoNotFit) {
  auto options = TinyOptions();
  options.max_weight_bytes = 1 << 20;
  try {
    engines::MakeReferenceEngine(options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("GiB"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tiny"), std::string::npos) << e.what();
  }
}

TEST(ReferenceEngine, RefusesACacheFormatTheModelCannotUse) {
  auto options = TinyOptions();
  options.kv_format = "flashmla-fp8";  // an MLA format on a V4 model
  EXPECT_THROW(engines::MakeReferenceEngine(options), InputError);
  options.kv_format = "fp7";
  EXPECT_THROW(engines::MakeReferenceEngine(options), InputError);
  options.kv_format.clear();
  options.model = "no-such-model.json";
  EXPECT_THROW(engines::MakeReferenceEngine(options), InputError);
}

TEST(ReferenceEngine, StatsCountFlopsAndKvBytesByKind) {
  auto engine = engines::MakeReferenceEngine(TinyOptions());
  RunToEnd(*engine, Request(1, Prompt(200), 5));
  const EngineStats stats = engine->Stats();
  EXPECT_GT(stats.flops[static_cast<int>(OpClass::kDenseGemm)], 0);
  EXPECT_GT(stats.flops[static_cast<int>(OpClass::kExpertGemm)], 0);
  EXPECT_GT(stats.flops[static_cast<int>(OpClass::kAttention)], 0);
  EXPECT_GT(stats.flops[static_cast<int>(OpClass::kIndexer)], 0);
  EXPECT_GT(stats.flops[static_cast<int>(OpClass::kCompressor)], 0);
  EXPECT_GT(stats.flops[static_cast<int>(OpClass::kOther)], 0);  // mHC
  EXPECT_EQ(stats.generated_tokens, 5);
  EXPECT_EQ(stats.prompt_tokens_computed, 200);
  EXPECT_EQ(stats.kv_capacity_bytes, 64ll << 20);
  EXPECT_GT(stats.kv_peak_used_bytes, 0);
  ASSERT_EQ(stats.kv_by_kind.size(), 5u);
  EXPECT_EQ(stats.kv_by_kind[0].kind, "tokens");
  EXPECT_EQ(stats.running_requests, 0);
  EXPECT_EQ(stats.waiting_requests, 0);
}

TEST(ReferenceEngine, ShutdownCancelsWhatIsQueued) {
  auto engine = engines::MakeReferenceEngine(TinyOptions());
  std::vector<std::shared_ptr<TestSink>> sinks;
  for (int i = 0; i < 6; ++i) {
    sinks.push_back(std::make_shared<TestSink>());
    engine->Submit(Request(i + 1, Prompt(64), 100000), sinks.back());
  }
  engine->Shutdown();
  for (const auto& sink : sinks) {
    ASSERT_TRUE(sink->Wait(std::chrono::seconds(1)));
    ASSERT_TRUE(sink->finish());
    EXPECT_EQ(sink->finish()->reason, FinishReason::kCancelled);
  }
  auto late = std::make_shared<TestSink>();
  engine->Submit(Request(99, Prompt(4), 1), late);
  ASSERT_TRUE(late->failure());
  engine->Shutdown();  // twice is harmless
}

}  // namespace
}  // namespace infermeter
