#include "infermeter/harness/sweep.h"

#include <gtest/gtest.h>

#include "infermeter/core/error.h"

namespace infermeter::harness {
namespace {

TEST(SweepTest, ParsesRatesAndConcurrencies) {
  const auto rates = ParseSweep("rate=1,2.5,8", "--sweep");
  EXPECT_EQ(rates.parameter, SweepParameter::kRate);
  EXPECT_EQ(rates.values, (std::vector<double>{1, 2.5, 8}));
  const auto levels = ParseSweep("concurrency=1,16", "--sweep");
  EXPECT_EQ(levels.parameter, SweepParameter::kConcurrency);
  EXPECT_EQ(levels.values, (std::vector<double>{1, 16}));
  EXPECT_EQ(PointLabel(SweepParameter::kRate, 2.5), "rate=2.5");
  EXPECT_EQ(PointLabel(SweepParameter::kConcurrency, 16), "concurrency=16");
}

TEST(SweepTest, RejectsBadSweepsNamingTheOption) {
  for (const char* bad : {"rate", "speed=1,2", "rate=1,,2", "rate=0", "rate=x", "concurrency=1.5",
                          "concurrency=0", "rate=", "rate=1e999"}) {
    try {
      ParseSweep(bad, "--sweep");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("--sweep"), std::string::npos) << e.what();
    }
  }
}

// A system whose good fraction falls off a cliff above `capacity` requests per second.
auto Cliff(double capacity, int* calls) {
  return [capacity, calls](double rate) {
    ++*calls;
    return GoodputPoint{.good_fraction = rate <= capacity ? 0.99 : 0.5, .valid = true};
  };
}

TEST(GoodputSearchTest, BracketsThenBisectsToTheTolerance) {
  int calls = 0;
  GoodputSearchSettings settings;
  settings.relative_tolerance = 0.05;
  settings.max_points = 20;
  const auto result = SearchMaxGoodput(settings, Cliff(5.3, &calls));
  ASSERT_TRUE(result.max_rate_per_s);
  EXPECT_LE(*result.max_rate_per_s, 5.3);
  EXPECT_GE(*result.max_rate_per_s, 5.3 / 1.05);
  EXPECT_EQ(static_cast<int>(result.points.size()), calls);
  // Doubling 1, 2, 4 pass and 8 fails; then geometric bisection of [4, 8].
  EXPECT_EQ(result.points[0].rate_per_s, 1);
  EXPECT_EQ(result.points[3].rate_per_s, 8);
  EXPECT_FALSE(result.points[3].passed);
  EXPECT_NE(result.conclusion.find("max goodput rate"), std::string::npos);
}

TEST(GoodputSearchTest, HalvesWhenTheFirstRateFailsAndSaysWhenNothingPasses) {
  int calls = 0;
  GoodputSearchSettings settings;
  settings.initial_rate_per_s = 8;
  const auto found = SearchMaxGoodput(settings, Cliff(1.5, &calls));
  ASSERT_TRUE(found.max_rate_per_s);
  EXPECT_LE(*found.max_rate_per_s, 1.5);
  EXPECT_GE(*found.max_rate_per_s, 1.5 / 1.1);

  settings.min_rate_per_s = 1;
  const auto none = SearchMaxGoodput(settings, Cliff(0.1, &calls));
  EXPECT_FALSE(none.max_rate_per_s);
  EXPECT_NE(none.conclusion.find("no rate"), std::string::npos);
}

TEST(GoodputSearchTest, AnInvalidRunNeverPasses) {
  GoodputSearchSettings settings;
  settings.max_rate_per_s = 4;
  const auto result = SearchMaxGoodput(
      settings, [](double rate) { return GoodputPoint{.good_fraction = 1.0, .valid = rate < 3}; });
  ASSERT_TRUE(result.max_rate_per_s);
  EXPECT_LT(*result.max_rate_per_s, 3);
}

TEST(GoodputSearchTest, SaysWhenEveryRatePasses) {
  GoodputSearchSettings settings;
  settings.max_rate_per_s = 16;
  int calls = 0;
  const auto result = SearchMaxGoodput(settings, Cliff(1000, &calls));
  EXPECT_EQ(result.max_rate_per_s, 16);
  EXPECT_NE(result.conclusion.find("at least"), std::string::npos);
}

}  // namespace
}  // namespace infermeter::harness
