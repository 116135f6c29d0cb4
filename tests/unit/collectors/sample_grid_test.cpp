// Rate series from amounts placed at instants or spread over intervals.
#include "sample_grid.h"

#include <gtest/gtest.h>

namespace infermeter::collectors {
namespace {

TEST(SampleGrid, SpreadsInProportionToOverlapAndDividesByBucketLength) {
  SampleGrid grid(1000, 3500, 1000);  // buckets [1000,2000) [2000,3000) [3000,3500)
  grid.AddSpread(1500, 3500, 200);    // 50 + 100 + 50
  grid.AddAt(2999, 7);
  grid.AddAt(99999, 1);  // past the end: the last bucket
  ASSERT_EQ(grid.amounts().size(), 3u);
  EXPECT_DOUBLE_EQ(grid.amounts()[0], 50);
  EXPECT_DOUBLE_EQ(grid.amounts()[1], 107);
  EXPECT_DOUBLE_EQ(grid.amounts()[2], 51);
  std::vector<results::SampleRecord> out;
  grid.AppendRates(RunId(3), "flops", "x_per_s", out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].time_ns, 1000);
  EXPECT_DOUBLE_EQ(out[0].value, 50 / 1e-6);    // 1000 ns buckets
  EXPECT_DOUBLE_EQ(out[2].value, 51 / 0.5e-6);  // the last one is 500 ns long
}

TEST(SampleGrid, AnEmptyIntervalLandsAtItsStart) {
  SampleGrid grid(0, 10, 5);
  grid.AddSpread(7, 7, 3);
  EXPECT_DOUBLE_EQ(grid.amounts()[1], 3);
}

}  // namespace
}  // namespace infermeter::collectors
