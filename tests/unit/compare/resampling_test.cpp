// The bootstrap machinery: the generator's draws are fully specified (the same on every platform),
// one resample's counts, the moving-block resample, the block length and the percentile interval,
// each against values worked out by hand or by an independent implementation.

#include "infermeter/compare/resampling.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace infermeter::compare {
namespace {

// xoshiro256** seeded through splitmix64, from an independent Python implementation of the
// reference algorithms (Blackman & Vigna); its splitmix64(0) is 0xe220a8397b1dcdaf, the published
// first value.
TEST(Rng, DrawsAreTheReferenceAlgorithmsForEverySeed) {
  Rng zero(0);
  EXPECT_EQ(zero.Next(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(zero.Next(), 0xbf6e1f784956452aULL);
  EXPECT_EQ(zero.Next(), 0x1a5f849d4933e6e0ULL);
  Rng one(1);
  EXPECT_EQ(one.Next(), 0xb3f2af6d0fc710c5ULL);
  EXPECT_EQ(one.Next(), 0x853b559647364ceaULL);
  EXPECT_EQ(one.Next(), 0x92f89756082a4514ULL);
  Rng answer(42);
  EXPECT_EQ(answer.Next(), 0x15780b2e0c2ec716ULL);
}

// Lemire's multiply-shift: the high 64 bits of Next() * n (same reference implementation).
TEST(Rng, BelowIsTheMultiplyShiftOfTheDraws) {
  Rng rng(7);
  std::vector<std::size_t> small;
  for (int i = 0; i < 10; ++i) small.push_back(rng.Below(10));
  EXPECT_EQ(small, (std::vector<std::size_t>{7, 2, 8, 9, 9, 8, 0, 1, 4, 1}));
  Rng again(7);
  std::vector<std::size_t> large;
  for (int i = 0; i < 5; ++i) large.push_back(again.Below(1'000'003));
  EXPECT_EQ(large, (std::vector<std::size_t>{700578, 278752, 839629, 981100, 990863}));
}

TEST(Rng, SameSeedSameDrawsOtherSeedOtherDraws) {
  Rng a(1234), b(1234), c(1235);
  std::vector<std::uint64_t> da, db, dc;
  for (int i = 0; i < 64; ++i) {
    da.push_back(a.Next());
    db.push_back(b.Next());
    dc.push_back(c.Next());
  }
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
}

TEST(Rng, BelowStaysInRangeAndCoversIt) {
  Rng rng(99);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rng.Below(1), 0u);
  std::vector<int> seen(6, 0);
  for (int i = 0; i < 6000; ++i) {
    const std::size_t v = rng.Below(6);
    ASSERT_LT(v, 6u);
    ++seen[v];
  }
  // Each face near 1000 (a fair die: the standard deviation is about 29).
  for (const int count : seen) {
    EXPECT_GT(count, 850);
    EXPECT_LT(count, 1150);
  }
}

TEST(DrawCounts, CountsSumToTheSampleAndRepeatForTheSeed) {
  Rng a(5), b(5);
  std::vector<std::uint32_t> first, second;
  DrawCounts(a, 37, first);
  DrawCounts(b, 37, second);
  ASSERT_EQ(first.size(), 37u);
  EXPECT_EQ(std::accumulate(first.begin(), first.end(), 0u), 37u);
  EXPECT_EQ(first, second);
  // The counts are the draws: n calls of Below(n).
  Rng c(5);
  std::vector<std::uint32_t> by_hand(37, 0);
  for (int i = 0; i < 37; ++i) ++by_hand[c.Below(37)];
  EXPECT_EQ(first, by_hand);
  // A resample is not the sample itself (some item drawn twice, some not at all).
  EXPECT_TRUE(std::any_of(first.begin(), first.end(), [](std::uint32_t n) { return n == 0; }));
  // The vector is reset, not added to.
  DrawCounts(a, 3, first);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0] + first[1] + first[2], 3u);
}

// round(n^(1/3)), at least 1.
TEST(BlockLength, IsTheRoundedCubeRoot) {
  EXPECT_EQ(BlockLength(0), 1u);
  EXPECT_EQ(BlockLength(1), 1u);
  EXPECT_EQ(BlockLength(3), 1u);   // 1.44
  EXPECT_EQ(BlockLength(4), 2u);   // 1.587
  EXPECT_EQ(BlockLength(8), 2u);   // 2
  EXPECT_EQ(BlockLength(26), 3u);  // 2.96
  EXPECT_EQ(BlockLength(27), 3u);
  EXPECT_EQ(BlockLength(63), 4u);  // 3.98
  EXPECT_EQ(BlockLength(91), 4u);  // 4.498
  EXPECT_EQ(BlockLength(92), 5u);  // 4.514
  EXPECT_EQ(BlockLength(1000), 10u);
  EXPECT_EQ(BlockLength(3600), 15u);  // 15.33
}

TEST(BlockResampleSum, OneStartTakesTheWholeSeries) {
  const std::vector<double> series{3, 1, 4, 1, 5, 9, 2, 6};
  Rng rng(1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(BlockResampleSum(series, series.size(), rng), 31);
}

TEST(BlockResampleSum, LaysBlocksEndToEndAndCutsAtTheSeriesLength) {
  // Seven ones in blocks of 3: 3 + 3 + 1 points, whatever the starts.
  const std::vector<double> ones(7, 1.0);
  Rng rng(2);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(BlockResampleSum(ones, 3, rng), 7);
}

TEST(BlockResampleSum, BlocksAreConsecutivePointsFromDrawnStarts) {
  // Powers of 1000 keep each point's count readable in the sum: point i counts
  // floor(sum / 1000^i) % 1000 times.
  const std::vector<double> series{1, 1e3, 1e6, 1e9, 1e12};
  const std::size_t block = 2;
  Rng rng(11), draws(11);
  for (int b = 0; b < 50; ++b) {
    // By hand: starts uniform in [0, n), blocks of 2, 2 and a last of 1, wrapping past the end.
    std::vector<int> counts(series.size(), 0);
    std::size_t taken = 0;
    while (taken < series.size()) {
      const std::size_t start = draws.Below(series.size());
      const std::size_t length = std::min(block, series.size() - taken);
      for (std::size_t i = 0; i < length; ++i) ++counts[(start + i) % series.size()];
      taken += length;
    }
    double expected = 0;
    for (std::size_t i = 0; i < series.size(); ++i) expected += counts[i] * series[i];
    EXPECT_EQ(BlockResampleSum(series, block, rng), expected) << "resample " << b;
  }
}

// Every point is as likely to be drawn as any other, the first and last seconds included (a
// non-wrapping block bootstrap draws an edge point half as often here), so the resamples centre
// on the series' own sum.
TEST(BlockResampleSum, EdgePointsAreDrawnAsOftenAsTheMiddle) {
  std::vector<double> first(10, 0.0), last(10, 0.0);
  first.front() = 1;
  last.back() = 1;
  Rng rng(5);
  double first_sum = 0, last_sum = 0;
  constexpr int kResamples = 40000;
  for (int b = 0; b < kResamples; ++b) {
    first_sum += BlockResampleSum(first, 3, rng);
    last_sum += BlockResampleSum(last, 3, rng);
  }
  // Each point is drawn once per resample on average: sd of the mean about 0.005.
  EXPECT_NEAR(first_sum / kResamples, 1.0, 0.03);
  EXPECT_NEAR(last_sum / kResamples, 1.0, 0.03);
}

TEST(PercentileInterval, NearestRankQuantilesOfTheDistribution) {
  // 1..100 shuffled; 90%: ranks ceil(0.05 * 100) = 5 and ceil(0.95 * 100) = 95.
  std::vector<double> values(100);
  std::iota(values.begin(), values.end(), 1.0);
  std::shuffle(values.begin(), values.end(), std::mt19937(3));
  auto interval = PercentileInterval(values, 0.90);
  ASSERT_TRUE(interval);
  EXPECT_EQ(interval->low, 5);
  EXPECT_EQ(interval->high, 95);

  // 1..40 at 95%: ranks ceil(0.025 * 40) = 1 and ceil(0.975 * 40) = 39.
  std::vector<double> forty(40);
  std::iota(forty.begin(), forty.end(), 1.0);
  std::reverse(forty.begin(), forty.end());
  interval = PercentileInterval(forty, 0.95);
  ASSERT_TRUE(interval);
  EXPECT_EQ(interval->low, 1);
  EXPECT_EQ(interval->high, 39);

  // 1000 values at 95%: ranks 25 and 975 exactly, although (1 - 0.95) / 2 * 1000 is
  // 25.000000000000021 in doubles (a plain ceil would give rank 26).
  std::vector<double> thousand(1000);
  std::iota(thousand.begin(), thousand.end(), 1.0);
  std::shuffle(thousand.begin(), thousand.end(), std::mt19937(4));
  interval = PercentileInterval(thousand, 0.95);
  ASSERT_TRUE(interval);
  EXPECT_EQ(interval->low, 25);
  EXPECT_EQ(interval->high, 975);

  // Two values at 50%: ranks ceil(0.5) = 1 and ceil(1.5) = 2.
  std::vector<double> two{8, 2};
  interval = PercentileInterval(two, 0.5);
  ASSERT_TRUE(interval);
  EXPECT_EQ(interval->low, 2);
  EXPECT_EQ(interval->high, 8);

  // Ties: the quantile is a value of the sample.
  std::vector<double> ties{5, 5, 5, 1, 9, 5, 5, 5, 5, 5};
  interval = PercentileInterval(ties, 0.8);  // ranks 1 and 9 of 1,5,...,5,9
  ASSERT_TRUE(interval);
  EXPECT_EQ(interval->low, 1);
  EXPECT_EQ(interval->high, 5);
}

TEST(PercentileInterval, NoIntervalBelowTwoValues) {
  std::vector<double> none;
  EXPECT_FALSE(PercentileInterval(none, 0.95));
  std::vector<double> one{4};
  EXPECT_FALSE(PercentileInterval(one, 0.95));
}

}  // namespace
}  // namespace infermeter::compare
