#include "infermeter/harness/repeat_spread.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace infermeter::harness {
namespace {

using results::RunMetric;

constexpr double kTol = 1e-12;

RunMetric Figure(const std::string& name, double value, const std::string& unit = "tokens/s") {
  return {.name = name, .value = value, .unit = unit};
}

TEST(SpreadOverRuns, ThreeRunsGiveMeanSampleStddevAndCv) {
  const auto spreads = SpreadOverRuns({{Figure("output_tokens_per_s", 10)},
                                       {Figure("output_tokens_per_s", 12)},
                                       {Figure("output_tokens_per_s", 14)}});
  ASSERT_EQ(spreads.size(), 1u);
  const FigureSpread& s = spreads.at("output_tokens_per_s");
  EXPECT_EQ(s.unit, "tokens/s");
  EXPECT_EQ(s.runs, 3);
  EXPECT_NEAR(s.mean, 12, kTol);
  // Sample (n − 1) deviation: sqrt((4 + 0 + 4) / 2) = 2; the population one would be 1.633.
  EXPECT_NEAR(s.stddev, 2, kTol);
  ASSERT_TRUE(s.cv.has_value());
  EXPECT_NEAR(*s.cv, 2.0 / 12.0, kTol);
  EXPECT_EQ(s.min, 10);
  EXPECT_EQ(s.max, 14);
}

TEST(SpreadOverRuns, AFigureMissingFromARunCountsOnlyTheRunsThatHaveIt) {
  // MFU is only known for the runs after a probe: its spread is over those two.
  const auto spreads = SpreadOverRuns({
      {Figure("output_tokens_per_s", 100), Figure("mfu", 0.2, "")},
      {Figure("output_tokens_per_s", 110)},
      {Figure("output_tokens_per_s", 90), Figure("mfu", 0.4, "")},
  });
  ASSERT_EQ(spreads.size(), 2u);
  EXPECT_EQ(spreads.at("output_tokens_per_s").runs, 3);
  EXPECT_NEAR(spreads.at("output_tokens_per_s").mean, 100, kTol);
  EXPECT_NEAR(spreads.at("output_tokens_per_s").stddev, 10, kTol);

  const FigureSpread& mfu = spreads.at("mfu");
  EXPECT_EQ(mfu.unit, "");
  EXPECT_EQ(mfu.runs, 2);
  EXPECT_NEAR(mfu.mean, 0.3, kTol);
  EXPECT_NEAR(mfu.stddev, std::sqrt(0.02), kTol);  // sqrt((0.01 + 0.01) / 1)
  ASSERT_TRUE(mfu.cv.has_value());
  EXPECT_NEAR(*mfu.cv, std::sqrt(0.02) / 0.3, kTol);
  EXPECT_NEAR(mfu.min, 0.2, kTol);
  EXPECT_NEAR(mfu.max, 0.4, kTol);
}

TEST(SpreadOverRuns, AZeroMeanHasNoCv) {
  // Failed requests: none in two runs, or +1 and −1 (a mean of 0 that still spreads).
  const auto spreads =
      SpreadOverRuns({{Figure("requests_failed", 0, "requests"), Figure("delta", 1, "")},
                      {Figure("requests_failed", 0, "requests"), Figure("delta", -1, "")}});
  const FigureSpread& failed = spreads.at("requests_failed");
  EXPECT_EQ(failed.runs, 2);
  EXPECT_EQ(failed.mean, 0);
  EXPECT_EQ(failed.stddev, 0);
  EXPECT_FALSE(failed.cv.has_value());

  const FigureSpread& delta = spreads.at("delta");
  EXPECT_EQ(delta.mean, 0);
  EXPECT_NEAR(delta.stddev, std::sqrt(2.0), kTol);
  EXPECT_FALSE(delta.cv.has_value());
}

TEST(SpreadOverRuns, ANegativeMeanGivesAPositiveCv) {
  const auto spreads = SpreadOverRuns({{Figure("x", -10, "")}, {Figure("x", -14, "")}});
  ASSERT_TRUE(spreads.at("x").cv.has_value());
  EXPECT_NEAR(*spreads.at("x").cv, std::sqrt(8.0) / 12.0, kTol);
}

TEST(SpreadOverRuns, OneRunHasNoSpread) {
  const auto spreads = SpreadOverRuns({{Figure("output_tokens_per_s", 42)}});
  const FigureSpread& s = spreads.at("output_tokens_per_s");
  EXPECT_EQ(s.runs, 1);
  EXPECT_EQ(s.mean, 42);
  EXPECT_EQ(s.stddev, 0);
  ASSERT_TRUE(s.cv.has_value());
  EXPECT_EQ(*s.cv, 0);
  EXPECT_EQ(s.min, 42);
  EXPECT_EQ(s.max, 42);
}

TEST(SpreadOverRuns, NoRunsGiveNoFigures) {
  EXPECT_TRUE(SpreadOverRuns({}).empty());
  EXPECT_TRUE(SpreadOverRuns({{}, {}}).empty());
}

}  // namespace
}  // namespace infermeter::harness
