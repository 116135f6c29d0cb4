#pragma once
// How a stored figure reads in a table cell: the value in the unit a reader expects (GiB rather
// than bytes, % for ratios, TFLOP/s rather than FLOP/s), with its unit. Tables show the exact
// stored value behind this text (sorting and CSV use the value itself).

#include <string>
#include <string_view>

namespace infermeter::dashboard {

// "1,234.5 tokens/s", "12.34 ms", "41.2 %" (unit "" is a ratio), "7.50 GiB", "312 TFLOP/s".
std::string FormatFigure(double value, std::string_view unit);

// A number with about four significant digits and thousands separated: "1,234", "12.35".
std::string FormatNumber(double value);

// A value scaled for an axis: `scale` multiplies stored values, `unit` labels the axis.
struct AxisUnit {
  double scale = 1;
  std::string unit;
};
// The axis unit that keeps values of magnitude `max_abs` readable: bytes → KiB…TiB, FLOP/s →
// GFLOP/s…PFLOP/s, ratios → %, anything else as stored.
AxisUnit AxisUnitFor(std::string_view stored_unit, double max_abs);

}  // namespace infermeter::dashboard
