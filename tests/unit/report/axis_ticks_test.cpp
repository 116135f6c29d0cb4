// Axis ticks fall on 1-2-5 steps, cover the range they are given, survive empty ranges, and
// their labels are short and distinct.

#include "axis_ticks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

namespace infermeter::report {
namespace {

// Every label of `ticks`, formatted as the chart does.
std::vector<std::string> Labels(const AxisTicks& ticks) {
  std::vector<std::string> out;
  for (double v : ticks.values) out.push_back(FormatTick(v, ticks.step > 0 ? ticks.step : v));
  return out;
}

// The mantissa of a 1-2-5 step is 1, 2 or 5.
bool IsNiceStep(double step) {
  const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (std::fabs(mantissa - m) < 1e-9) return true;
  }
  return false;
}

TEST(LinearTicks, UnitRangeInFifths) {
  const AxisTicks ticks = LinearTicks(0, 1, 6, true);
  EXPECT_DOUBLE_EQ(ticks.step, 0.2);
  ASSERT_EQ(ticks.values.size(), 6u);
  EXPECT_DOUBLE_EQ(ticks.min, 0);
  EXPECT_DOUBLE_EQ(ticks.max, 1);
  EXPECT_EQ(Labels(ticks), (std::vector<std::string>{"0", "0.2", "0.4", "0.6", "0.8", "1"}));
}

TEST(LinearTicks, WidensToTheNextStep) {
  const AxisTicks ticks = LinearTicks(0, 37, 6, true);
  EXPECT_DOUBLE_EQ(ticks.step, 10);
  EXPECT_DOUBLE_EQ(ticks.max, 40);
  EXPECT_EQ(Labels(ticks), (std::vector<std::string>{"0", "10", "20", "30", "40"}));
  const AxisTicks denser = LinearTicks(0, 37, 8, true);
  EXPECT_DOUBLE_EQ(denser.step, 5);
}

TEST(LinearTicks, KeepsTheRangeWhenNotWidening) {
  const AxisTicks ticks = LinearTicks(0.3, 118.7, 8, false);
  EXPECT_DOUBLE_EQ(ticks.min, 0.3);
  EXPECT_DOUBLE_EQ(ticks.max, 118.7);
  EXPECT_DOUBLE_EQ(ticks.step, 20);
  EXPECT_EQ(Labels(ticks), (std::vector<std::string>{"20", "40", "60", "80", "100"}));
}

TEST(LinearTicks, LargeValuesGetSuffixes) {
  const AxisTicks ticks = LinearTicks(1e3, 1e6, 6, true);
  EXPECT_DOUBLE_EQ(ticks.step, 2e5);
  EXPECT_EQ(Labels(ticks), (std::vector<std::string>{"0", "200k", "400k", "600k", "800k", "1M"}));
  EXPECT_EQ(Labels(LinearTicks(0, 3000, 6, true)),
            (std::vector<std::string>{"0", "500", "1k", "1.5k", "2k", "2.5k", "3k"}));
}

TEST(LinearTicks, NegativeRanges) {
  const AxisTicks ticks = LinearTicks(-37, 12, 6, true);
  EXPECT_DOUBLE_EQ(ticks.step, 10);
  EXPECT_DOUBLE_EQ(ticks.min, -40);
  EXPECT_DOUBLE_EQ(ticks.max, 20);
  EXPECT_EQ(Labels(ticks), (std::vector<std::string>{"-40", "-30", "-20", "-10", "0", "10", "20"}));
}

TEST(LinearTicks, EmptyRangesAreWidened) {
  for (double v : {0.0, 5.0, -3.0, 1e9, 1e-9}) {
    for (bool widen : {true, false}) {
      const AxisTicks ticks = LinearTicks(v, v, 6, widen);
      EXPECT_LT(ticks.min, ticks.max) << v;
      EXPECT_LE(ticks.min, v);
      EXPECT_GE(ticks.max, v);
      EXPECT_GE(ticks.values.size(), 2u) << v;
      const std::vector<std::string> labels = Labels(ticks);
      EXPECT_EQ(std::set<std::string>(labels.begin(), labels.end()).size(), labels.size()) << v;
    }
  }
  const AxisTicks nan = LinearTicks(NAN, 1, 6, true);
  EXPECT_DOUBLE_EQ(nan.min, 0);
  EXPECT_DOUBLE_EQ(nan.max, 1);
}

TEST(LinearTicks, StepsAreNiceAndLabelsDistinct) {
  const double ranges[][2] = {{0, 0.37},  {0, 7},       {12, 13},     {0, 123456},
                              {-1e-3, 0}, {99990, 1e5}, {1e12, 5e12}, {0.001, 0.0013}};
  for (const auto& range : ranges) {
    const AxisTicks ticks = LinearTicks(range[0], range[1], 6, true);
    EXPECT_TRUE(IsNiceStep(ticks.step)) << range[0] << ".." << range[1];
    EXPECT_LE(ticks.min, range[0]);
    EXPECT_GE(ticks.max, range[1]);
    EXPECT_GE(ticks.values.size(), 2u);
    EXPECT_LE(ticks.values.size(), 8u);
    const std::vector<std::string> labels = Labels(ticks);
    EXPECT_EQ(std::set<std::string>(labels.begin(), labels.end()).size(), labels.size())
        << range[0] << ".." << range[1] << ": " << labels.front() << " " << labels.back();
  }
}

TEST(LogTicks, OneTwoFivePerDecade) {
  const AxisTicks ticks = LogTicks(1, 1000, 10);
  EXPECT_EQ(ticks.step, 0);
  EXPECT_EQ(Labels(ticks),
            (std::vector<std::string>{"1", "2", "5", "10", "20", "50", "100", "200", "500", "1k"}));
  EXPECT_EQ(Labels(LogTicks(12, 3400, 8)),
            (std::vector<std::string>{"20", "50", "100", "200", "500", "1k", "2k"}));
}

TEST(LogTicks, WideRangesKeepDecadesOnly) {
  EXPECT_EQ(Labels(LogTicks(0.5, 30000, 8)),
            (std::vector<std::string>{"1", "10", "100", "1k", "10k"}));
  // Thirteen decades in at most six ticks: every third decade, anchored at 1.
  EXPECT_EQ(Labels(LogTicks(1e-3, 1e9, 6)),
            (std::vector<std::string>{"0.001", "1", "1k", "1M", "1G"}));
}

TEST(LogTicks, NarrowRangesGetMoreTicks) {
  EXPECT_EQ(Labels(LogTicks(1, 9, 10)),
            (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8", "9"}));
  // Inside one decade with no 1..9 multiple: linear ticks placed on the log scale.
  const AxisTicks narrow = LogTicks(120, 180, 6);
  EXPECT_GT(narrow.step, 0);
  EXPECT_GE(narrow.values.size(), 2u);
  EXPECT_DOUBLE_EQ(narrow.min, 120);
  EXPECT_DOUBLE_EQ(narrow.max, 180);
}

TEST(LogTicks, DegenerateRanges) {
  for (auto [min, max] : {std::pair{5.0, 5.0}, std::pair{0.0, 10.0}, std::pair{-1.0, -1.0}}) {
    const AxisTicks ticks = LogTicks(min, max, 8);
    EXPECT_GT(ticks.min, 0) << min << ".." << max;
    EXPECT_LT(ticks.min, ticks.max);
    EXPECT_FALSE(ticks.values.empty());
  }
}

TEST(FormatTick, CompactLabels) {
  EXPECT_EQ(FormatTick(0, 0.5), "0");
  EXPECT_EQ(FormatTick(0.5, 0.5), "0.5");
  EXPECT_EQ(FormatTick(1, 0.5), "1");
  EXPECT_EQ(FormatTick(2000, 500), "2k");
  EXPECT_EQ(FormatTick(1.5e6, 5e5), "1.5M");
  EXPECT_EQ(FormatTick(2.5e9, 5e8), "2.5G");
  EXPECT_EQ(FormatTick(-2500, 500), "-2.5k");
  EXPECT_EQ(FormatTick(0.25, 0.05), "0.25");
  EXPECT_EQ(FormatTick(100002, 2), "100.002k");  // neighbours must differ
  EXPECT_EQ(FormatTick(0.1 + 0.2, 0.1), "0.3");
  EXPECT_EQ(FormatTick(-1e-17, 0.1), "0");
  EXPECT_EQ(FormatTick(2e-8, 1e-8), "2e-08");
  EXPECT_EQ(FormatTick(NAN, 1), "");
}

}  // namespace
}  // namespace infermeter::report
