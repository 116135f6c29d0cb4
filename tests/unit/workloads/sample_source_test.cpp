// The trace as the harness's sample source, the workload hash, and the rate ramp.
#include "infermeter/workloads/trace_sample_source.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "infermeter/core/error.h"
#include "infermeter/workloads/arrival.h"
#include "infermeter/workloads/generators.h"

namespace infermeter::workloads {
namespace {

Trace Agentic(std::uint64_t seed) {
  AgenticSettings s;
  s.sessions = 3;
  s.turns = 3;
  s.parallel_probability = 0.5;
  s.seed = seed;
  return GenerateAgentic(s);
}

TEST(TraceSampleSourceTest, MirrorsTheTraceAndBuildsExactPrompts) {
  const Trace trace = Agentic(1);
  const TraceSampleSource source(trace, {.seed = 5}, "agentic");
  ASSERT_EQ(source.Sessions().size(), trace.sessions.size());
  const TokenSynthesizer synthesizer({.seed = 5}, trace.block_size_tokens);
  for (std::size_t s = 0; s < trace.sessions.size(); ++s) {
    const Session& session = trace.sessions[s];
    const auto& mirrored = source.Sessions()[s];
    EXPECT_EQ(mirrored.id, session.id);
    ASSERT_EQ(mirrored.turns.size(), session.turns.size());
    for (std::size_t t = 0; t < session.turns.size(); ++t) {
      const Request& r = session.turns[t];
      EXPECT_EQ(mirrored.turns[t].after_turns, r.after_turns);
      EXPECT_EQ(mirrored.turns[t].think_time_ns, r.think_time_ns);
      EXPECT_EQ(mirrored.turns[t].output_tokens, r.output_tokens);
      std::vector<TokenId> prompt;
      source.BuildPrompt(s, static_cast<std::int32_t>(t), prompt);
      EXPECT_EQ(static_cast<std::int64_t>(prompt.size()), r.input_tokens);
      EXPECT_EQ(prompt, synthesizer.Synthesize(r, RequestKey(session.id, static_cast<int>(t))));
    }
  }
}

TEST(TraceSampleSourceTest, RejectsAnInvalidTraceNamingItsSource) {
  Trace trace = Agentic(1);
  trace.sessions[0].turns[1].after_turns = {7};
  try {
    TraceSampleSource source(trace, {}, "my-trace.jsonl");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("my-trace.jsonl"), std::string::npos) << e.what();
  }
}

TEST(WorkloadHashTest, EqualForEqualWorkloadsAndDifferentOtherwise) {
  const TokenSettings tokens{.seed = 3};
  EXPECT_EQ(WorkloadHash(Agentic(1), tokens), WorkloadHash(Agentic(1), tokens));
  EXPECT_EQ(WorkloadHash(Agentic(1), tokens).size(), 16u);
  EXPECT_NE(WorkloadHash(Agentic(1), tokens), WorkloadHash(Agentic(2), tokens));
  EXPECT_NE(WorkloadHash(Agentic(1), tokens), WorkloadHash(Agentic(1), {.seed = 4}));
  Trace retimed = Agentic(1);
  ApplyArrivals(retimed, {.kind = ArrivalSettings::Kind::kConstant, .rate_per_s = 7});
  EXPECT_NE(WorkloadHash(Agentic(1), tokens), WorkloadHash(retimed, tokens));
}

TEST(RampTest, ConstantArrivalsFollowTheIntegratedRate) {
  ArrivalSettings s{.kind = ArrivalSettings::Kind::kConstant, .rate_per_s = 1.0};
  s.ramp_end_rate_per_s = 3.0;
  s.ramp_duration_s = 10.0;
  const auto offsets = GenerateArrivalOffsetsNs(s, 40);
  // Lambda(t) = t + t^2/10 during the ramp: the k-th arrival is at Lambda^-1(k).
  for (int k = 0; k < 20; ++k) {
    const double t = (-1.0 + std::sqrt(1.0 + 0.4 * k)) / 0.2;
    EXPECT_NEAR(static_cast<double>(offsets[static_cast<std::size_t>(k)]) / 1e9, t, 1e-6) << k;
  }
  // Lambda(10) = 20; afterwards the rate stays at 3/s.
  EXPECT_NEAR(static_cast<double>(offsets[20]) / 1e9, 10.0, 1e-6);
  EXPECT_NEAR(static_cast<double>(offsets[23] - offsets[20]) / 1e9, 1.0, 1e-6);
}

TEST(RampTest, PoissonCountsGrowWithTheRate) {
  ArrivalSettings s{.kind = ArrivalSettings::Kind::kPoisson, .rate_per_s = 10.0, .seed = 9};
  s.ramp_end_rate_per_s = 90.0;
  s.ramp_duration_s = 100.0;
  const auto offsets = GenerateArrivalOffsetsNs(s, 5000);
  // Expected arrivals in a window are the integrated rate's difference over it:
  // Lambda(t) = 10t + 0.4t^2, so [0, 10) expects 140 and [90, 100) expects 860.
  const auto count_between = [&](double a, double b) {
    return std::count_if(offsets.begin(), offsets.end(),
                         [&](std::int64_t o) { return o >= a * 1e9 && o < b * 1e9; });
  };
  EXPECT_NEAR(static_cast<double>(count_between(0, 10)), 140, 4 * std::sqrt(140.0));
  EXPECT_NEAR(static_cast<double>(count_between(90, 100)), 860, 4 * std::sqrt(860.0));
}

TEST(RampTest, RejectsABadRamp) {
  ArrivalSettings s{.kind = ArrivalSettings::Kind::kPoisson, .rate_per_s = 1.0};
  s.ramp_end_rate_per_s = 0.0;
  s.ramp_duration_s = 10;
  EXPECT_THROW(GenerateArrivalOffsetsNs(s, 3), InputError);
  s.ramp_end_rate_per_s = 2.0;
  s.ramp_duration_s = 0;
  EXPECT_THROW(GenerateArrivalOffsetsNs(s, 3), InputError);
}

}  // namespace
}  // namespace infermeter::workloads
