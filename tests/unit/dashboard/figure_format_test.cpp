// Table cells and axis units read as a user expects: thousands separated, GiB not bytes, % for
// ratios, TFLOP/s for FLOP/s, counts without decimals.

#include "infermeter/dashboard/figure_format.h"

#include <gtest/gtest.h>

namespace infermeter::dashboard {
namespace {

TEST(FigureFormat, ReadableValuesWithUnits) {
  EXPECT_EQ(FormatFigure(1234.6, "tokens/s"), "1,235 tokens/s");
  EXPECT_EQ(FormatFigure(1234567.0, "tokens"), "1,234,567 tokens");
  EXPECT_EQ(FormatFigure(12.346, "ms"), "12.35 ms");
  EXPECT_EQ(FormatFigure(0.4123, ""), "41.23 %");
  EXPECT_EQ(FormatFigure(12, "requests"), "12 requests");
  EXPECT_EQ(FormatFigure(0.0123, "s"), "0.012 s");
  EXPECT_EQ(FormatFigure(-2500, "ms"), "-2,500 ms");
  EXPECT_EQ(FormatFigure(8.0 * 1024 * 1024 * 1024, "bytes"), "8 GiB");
  EXPECT_EQ(FormatFigure(7.5 * 1024 * 1024 * 1024, "bytes"), "7.50 GiB");
  EXPECT_EQ(FormatFigure(312.5e12, "FLOP/s"), "312.5 TFLOP/s");
}

TEST(FigureFormat, AxisUnitsScaleToTheLargestValue) {
  const AxisUnit gib = AxisUnitFor("bytes", 80.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(gib.unit, "GiB");
  EXPECT_DOUBLE_EQ(gib.scale, 1.0 / (1024.0 * 1024 * 1024));
  EXPECT_EQ(AxisUnitFor("bytes", 10).unit, "B");
  EXPECT_EQ(AxisUnitFor("FLOP/s", 2e15).unit, "PFLOP/s");
  EXPECT_EQ(AxisUnitFor("", 0.5).unit, "%");
  EXPECT_DOUBLE_EQ(AxisUnitFor("", 0.5).scale, 100);
  EXPECT_EQ(AxisUnitFor("W", 700).unit, "W");
  EXPECT_DOUBLE_EQ(AxisUnitFor("W", 700).scale, 1);
}

}  // namespace
}  // namespace infermeter::dashboard
