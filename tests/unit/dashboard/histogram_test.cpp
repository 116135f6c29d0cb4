// Latency histograms: every value counted once, the far tail counted apart so one outlier does
// not squash the bins.

#include <gtest/gtest.h>

#include <numeric>

#include "infermeter/dashboard/downsample.h"

namespace infermeter::dashboard {
namespace {

std::int64_t Total(const Histogram& h) {
  return std::accumulate(h.counts.begin(), h.counts.end(), std::int64_t{0}) + h.above;
}

TEST(Histogram, CountsEveryValueAndKeepsTheTailApart) {
  std::vector<double> values;
  for (int i = 0; i < 1000; ++i) values.push_back(10 + i * 0.01);  // 10 .. 19.99 ms
  values.push_back(5000);                                          // one stall
  const Histogram h = HistogramOf(values, 20);
  EXPECT_EQ(Total(h), 1001);
  EXPECT_EQ(h.counts.size(), 20u);
  EXPECT_DOUBLE_EQ(h.from, 10);
  EXPECT_LT(h.from + h.bin_width * 20, 20.0);        // the bins end at the 99.5th percentile
  EXPECT_GE(h.above, 1);                             // the stall is counted, apart
  for (std::int64_t c : h.counts) EXPECT_GT(c, 30);  // evenly spread values fill every bin
}

TEST(Histogram, EqualValuesAndEmptyInput) {
  const Histogram same = HistogramOf({3, 3, 3}, 10);
  ASSERT_EQ(same.counts.size(), 1u);
  EXPECT_EQ(same.counts[0], 3);
  EXPECT_EQ(same.bin_width, 0);
  EXPECT_TRUE(HistogramOf({}, 10).counts.empty());
}

}  // namespace
}  // namespace infermeter::dashboard
