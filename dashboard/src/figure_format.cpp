#include "infermeter/dashboard/figure_format.h"

#include <cmath>
#include <utility>

#include <fmt/format.h>

namespace infermeter::dashboard {
namespace {

// Digits after the point so that about four significant digits show.
int Decimals(double value) {
  const double magnitude = std::fabs(value);
  if (magnitude >= 1000 || magnitude == 0) return 0;
  if (magnitude >= 1 && value == std::floor(value)) return 0;  // counts: "12 requests"
  if (magnitude >= 100) return 1;
  if (magnitude >= 1) return 2;
  return 3;
}

// 1234567.8 -> "1,234,568" (thousands separated, as vLLM's and AIPerf's tables print).
std::string Grouped(double value, int decimals) {
  const std::string digits = fmt::format("{:.{}f}", std::fabs(value), decimals);
  const std::size_t point = digits.find('.');
  const std::size_t integer_digits = point == std::string::npos ? digits.size() : point;
  std::string out;
  out.reserve(digits.size() + integer_digits / 3 + 1);
  if (value < 0) out.push_back('-');
  for (std::size_t i = 0; i < digits.size(); ++i) {
    // A separator before each group of three integer digits, except at the front.
    if (i > 0 && i < integer_digits && (integer_digits - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

struct Prefix {
  double factor;
  const char* name;
};

// The largest prefix not above `max_abs` (the first when none fits).
template <std::size_t N>
const Prefix& Pick(const Prefix (&prefixes)[N], double max_abs) {
  const Prefix* best = &prefixes[0];
  for (const Prefix& p : prefixes) {
    if (max_abs >= p.factor) best = &p;
  }
  return *best;
}

constexpr Prefix kBytes[] = {{1, "B"},
                             {1024.0, "KiB"},
                             {1024.0 * 1024, "MiB"},
                             {1024.0 * 1024 * 1024, "GiB"},
                             {1024.0 * 1024 * 1024 * 1024, "TiB"}};
constexpr Prefix kFlops[] = {{1, ""}, {1e3, "K"}, {1e6, "M"}, {1e9, "G"}, {1e12, "T"}, {1e15, "P"}};

}  // namespace

AxisUnit AxisUnitFor(std::string_view stored_unit, double max_abs) {
  if (stored_unit.empty()) return {.scale = 100, .unit = "%"};
  if (stored_unit == "bytes") {
    const Prefix& p = Pick(kBytes, max_abs);
    return {.scale = 1 / p.factor, .unit = p.name};
  }
  if (stored_unit.starts_with("FLOP")) {  // FLOP, FLOP/s
    const Prefix& p = Pick(kFlops, max_abs);
    return {.scale = 1 / p.factor, .unit = fmt::format("{}{}", p.name, stored_unit)};
  }
  return {.scale = 1, .unit = std::string(stored_unit)};
}

std::string FormatFigure(double value, std::string_view unit) {
  if (!std::isfinite(value)) return fmt::format("{} {}", value, unit);
  const AxisUnit axis = AxisUnitFor(unit, std::fabs(value));
  const double shown = value * axis.scale;
  return fmt::format("{} {}", FormatNumber(shown), axis.unit);
}

std::string FormatNumber(double value) {
  if (!std::isfinite(value)) return fmt::format("{}", value);
  return Grouped(value, Decimals(value));
}

}  // namespace infermeter::dashboard
