// Generators, arrival processes, distributions, token synthesis and the tokenizer estimate.

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "infermeter/core/error.h"
#include "infermeter/workloads/block_chain.h"
#include "infermeter/workloads/export.h"
#include "infermeter/workloads/generators.h"
#include "infermeter/workloads/import.h"
#include "infermeter/workloads/summary.h"
#include "infermeter/workloads/token_synthesis.h"
#include "infermeter/workloads/tokenizer_estimate.h"

namespace infermeter::workloads {
namespace {

TEST(Generators, SameSettingsSameTraceAndValid) {
  AgenticSettings a;
  a.sessions = 30;
  a.turns = 6;
  a.parallel_probability = 0.4;
  a.seed = 11;
  const Trace t1 = GenerateAgentic(a);
  EXPECT_TRUE(ValidateTrace(t1).empty());
  EXPECT_EQ(ExportInfermeterJsonl(t1), ExportInfermeterJsonl(GenerateAgentic(a)));
  a.seed = 12;
  EXPECT_NE(TraceContentHash(t1), TraceContentHash(GenerateAgentic(a)));
  // Round trip of a trace with fan-out dependencies.
  EXPECT_TRUE(ImportTraceText(ExportInfermeterJsonl(t1), "x", {}).trace == t1);
}

TEST(Generators, AgenticFanOutWaitsForAllBranches) {
  AgenticSettings a;
  a.sessions = 5;
  a.turns = 5;
  a.parallel_probability = 1.0;
  a.parallel_calls = 3;
  const Trace t = GenerateAgentic(a);
  const Session& s = t.sessions[0];
  ASSERT_EQ(s.turns.size(), 1u + 4 * 3);
  EXPECT_EQ(s.turns[1].after_turns, std::vector<std::int32_t>{0});
  EXPECT_EQ(s.turns[3].after_turns, std::vector<std::int32_t>{0});
  EXPECT_EQ(s.turns[4].after_turns, (std::vector<std::int32_t>{1, 2, 3}));
  // Every session starts with the same system prompt and tool schema blocks (5000 tokens).
  for (std::size_t b = 0; b < 5000 / 512; ++b) {
    EXPECT_EQ(t.sessions[1].turns[0].block_hash_ids[b], s.turns[0].block_hash_ids[b]);
  }
  EXPECT_GT(PrefixReuseRatio(t), 0.5);
}

TEST(Generators, LongContextQuestionsShareTheDocument) {
  LongContextSettings l;
  l.documents = 10;
  l.document_tokens = Distribution{
      .kind = Distribution::Kind::kLognormal, .a = 200000, .b = 2.0, .min = 1, .max = 1'000'000};
  const Trace t = GenerateLongContext(l);
  EXPECT_TRUE(ValidateTrace(t).empty());
  for (const Session& s : t.sessions) {
    ASSERT_EQ(s.turns.size(), 4u);
    EXPECT_LE(s.turns[0].input_tokens, 1'000'000 + 200);
    const std::int64_t doc_blocks = FullBlockCount(s.turns[0], 512) - 1;
    for (std::int64_t b = 0; b < doc_blocks; ++b) {
      EXPECT_EQ(s.turns[3].block_hash_ids[static_cast<std::size_t>(b)],
                s.turns[0].block_hash_ids[static_cast<std::size_t>(b)]);
    }
  }
}

TEST(Generators, SyntheticPrefixGroups) {
  SyntheticSettings s;
  s.requests = 100;
  s.prefix_groups = 4;
  s.prefix_tokens = 2048;
  s.arrivals.kind = ArrivalSettings::Kind::kConstant;
  s.arrivals.rate_per_s = 10;
  const Trace t = GenerateSynthetic(s);
  EXPECT_EQ(t.sessions[99].turns[0].arrival_offset_ns, 9'900'000'000);
  // 96 of 100 requests hit 2048 of their 3072 tokens.
  EXPECT_DOUBLE_EQ(PrefixReuseRatio(t), 96.0 * 2048 / (100.0 * 3072));
}

TEST(Arrivals, RatesAndBurstiness) {
  for (const auto kind : {ArrivalSettings::Kind::kPoisson, ArrivalSettings::Kind::kGamma}) {
    ArrivalSettings a;
    a.kind = kind;
    a.rate_per_s = 50;
    a.burstiness_cv = 3;
    const auto offsets = GenerateArrivalOffsetsNs(a, 20001);
    double sum = 0;
    double sum2 = 0;
    for (std::size_t i = 1; i < offsets.size(); ++i) {
      const double gap = static_cast<double>(offsets[i] - offsets[i - 1]) / 1e9;
      sum += gap;
      sum2 += gap * gap;
    }
    const double mean = sum / 20000;
    const double cv = std::sqrt(sum2 / 20000 - mean * mean) / mean;
    EXPECT_NEAR(mean, 0.02, 0.02 * 0.1);
    EXPECT_NEAR(cv, kind == ArrivalSettings::Kind::kGamma ? 3.0 : 1.0, 0.3);
  }
}

TEST(Arrivals, TraceWindowAndScale) {
  Trace t;
  for (int i = 0; i < 10; ++i) {
    t.sessions.push_back(Session{.id = std::to_string(i),
                                 .turns = {Request{.arrival_offset_ns = i * 1'000'000'000LL}}});
  }
  ArrivalSettings a;
  a.kind = ArrivalSettings::Kind::kTrace;
  a.window_start_s = 2;
  a.window_end_s = 6;
  a.time_scale = 0.5;
  EXPECT_EQ(ApplyArrivals(t, a), 6);
  ASSERT_EQ(t.sessions.size(), 4u);
  EXPECT_EQ(t.sessions[0].turns[0].arrival_offset_ns, 0);
  EXPECT_EQ(t.sessions[3].turns[0].arrival_offset_ns, 1'500'000'000);
}

TEST(Distributions, ParseAndBounds) {
  EXPECT_EQ(ParseDistribution("uniform:1:5", "x").kind, Distribution::Kind::kUniform);
  EXPECT_THROW(ParseDistribution("uniform:5:1", "x"), InputError);
  EXPECT_THROW(ParseDistribution("zipf:1", "x"), InputError);
  EXPECT_THROW(ParseDistribution("normal:1", "x"), InputError);
  Distribution d = ParseDistribution("normal:10:50", "x");
  d.min = 1;
  Rng rng(1);
  for (int i = 0; i < 1000; ++i) EXPECT_GE(SampleInt(d, rng), 1);
}

TEST(TokenSynthesis, DeterministicAndExact) {
  const TokenSynthesizer a({.seed = 1}, 512);
  const TokenSynthesizer b({.seed = 1}, 512);
  const TokenSynthesizer other_seed({.seed = 2}, 512);
  Request r{.block_hash_ids = {5, 6}, .input_tokens = 1500};
  const auto tokens = a.Synthesize(r, RequestKey("s", 0));
  EXPECT_EQ(tokens.size(), 1500u);
  EXPECT_EQ(tokens, b.Synthesize(r, RequestKey("s", 0)));
  EXPECT_NE(tokens, other_seed.Synthesize(r, RequestKey("s", 0)));
  // The tail belongs to the request; blocks do not.
  const auto other = a.Synthesize(r, RequestKey("s", 1));
  EXPECT_TRUE(std::equal(tokens.begin(), tokens.begin() + 1024, other.begin()));
  EXPECT_FALSE(std::equal(tokens.begin() + 1024, tokens.end(), other.begin() + 1024));
  for (const auto t : tokens) {
    EXPECT_GE(t, 1000);
    EXPECT_LT(t, 32000);
  }
}

TEST(BlockChain, EqualContentEqualIds) {
  BlockChain a(4);
  BlockChain b(4);
  a.Append(1, 6);
  b.Append(1, 6);
  EXPECT_EQ(a.HashIds(), b.HashIds());
  a.Append(2, 2);
  b.Append(3, 2);
  EXPECT_EQ(a.HashIds()[0], b.HashIds()[0]);
  EXPECT_NE(a.HashIds()[1], b.HashIds()[1]);
  EXPECT_EQ(a.tokens(), 8);
}

TEST(TokenizerEstimate, Rules) {
  EXPECT_EQ(EstimateTokens("hello world", TokenEstimator::kWordPiece), 2);
  EXPECT_EQ(EstimateTokens("internationalization", TokenEstimator::kWordPiece), 3);
  EXPECT_EQ(EstimateTokens("1234567", TokenEstimator::kWordPiece), 3);
  EXPECT_EQ(EstimateTokens("{\"a\": 1}", TokenEstimator::kWordPiece), 5);
  EXPECT_EQ(EstimateTokens("abcdefgh", TokenEstimator::kBytes), 2);
}

// The drift between the estimated token count of rendered text and the token count it stands
// for, as quoted in docs/WORKLOADS.md.
TEST(TokenizerEstimate, RenderedTextDrift) {
  const TokenSynthesizer synthesizer({.seed = 9}, 512);
  std::int64_t tokens = 0;
  std::int64_t wordpiece = 0;
  std::int64_t bytes = 0;
  for (int i = 0; i < 200; ++i) {
    const Request r{.input_tokens = 100 + i * 37};
    const auto ids = synthesizer.Synthesize(r, RequestKey("drift", i));
    const std::string text = RenderText(ids);
    tokens += static_cast<std::int64_t>(ids.size());
    wordpiece += EstimateTokens(text, TokenEstimator::kWordPiece);
    bytes += EstimateTokens(text, TokenEstimator::kBytes);
  }
  EXPECT_EQ(wordpiece, tokens);  // one word per token, each at most 6 letters
  const double bytes_drift = static_cast<double>(bytes - tokens) / static_cast<double>(tokens);
  EXPECT_NEAR(bytes_drift, 0.24, 0.03) << "update docs/WORKLOADS.md";
}

}  // namespace
}  // namespace infermeter::workloads
