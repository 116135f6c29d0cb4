#include "axis_ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

namespace infermeter::report {
namespace {

// Relative slack for comparisons of computed tick positions (i * step is rarely exact).
constexpr double kSlack = 1e-9;

// The smallest of 1, 2, 5 or 10 times a power of ten that is at least `raw` (> 0).
double NiceStep(double raw) {
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw * (1 - kSlack)) return m * power;
  }
  return 10 * power;
}

// A range with room in it: a single point or a constant series still needs an axis.
std::pair<double, double> NonEmptyRange(double min, double max) {
  if (!std::isfinite(min) || !std::isfinite(max)) return {0, 1};
  if (min > max) std::swap(min, max);
  const double magnitude = std::max(std::fabs(min), std::fabs(max));
  if (max - min > magnitude * 1e-12) return {min, max};
  if (magnitude == 0) return {0, 1};
  return {min - magnitude * 0.1, max + magnitude * 0.1};
}

// Fewest decimals that show `step` exactly (0.25 -> 2, 5 -> 0), at most 9.
int DecimalsFor(double step) {
  for (int decimals = 0; decimals < 9; ++decimals) {
    const double shifted = step * std::pow(10.0, decimals);
    if (std::fabs(shifted - std::round(shifted)) <= shifted * 1e-6) return decimals;
  }
  return 9;
}

}  // namespace

AxisTicks LinearTicks(double min, double max, int max_ticks, bool widen_to_steps) {
  std::tie(min, max) = NonEmptyRange(min, max);
  const double step = NiceStep((max - min) / std::max(max_ticks, 1));
  // Ticks are whole multiples of the step (0 is always one when it is in range), computed as
  // i * step rather than by adding steps up, so rounding errors do not accumulate.
  const double first =
      widen_to_steps ? std::floor(min / step + kSlack) : std::ceil(min / step - kSlack);
  const double last =
      widen_to_steps ? std::ceil(max / step - kSlack) : std::floor(max / step + kSlack);
  AxisTicks ticks;
  ticks.step = step;
  ticks.min = widen_to_steps ? first * step : min;
  ticks.max = widen_to_steps ? last * step : max;
  for (double i = first; i <= last && ticks.values.size() < 1000; ++i) {
    const double value = i * step;
    ticks.values.push_back(std::fabs(value) < step * kSlack ? 0.0 : value);
  }
  return ticks;
}

AxisTicks LogTicks(double min, double max, int max_ticks) {
  if (!(min > 0) || !std::isfinite(min)) min = max > 0 && std::isfinite(max) ? max / 10 : 1;
  if (!(max > min) || !std::isfinite(max)) {
    min /= 2;
    max = min * 4;
  }
  max_ticks = std::max(max_ticks, 2);
  const int first_decade = static_cast<int>(std::floor(std::log10(min) + kSlack));
  const int last_decade = static_cast<int>(std::floor(std::log10(max) + kSlack));
  const std::vector<std::vector<double>> mantissa_sets = {
      {1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 5}, {1}};
  for (const std::vector<double>& mantissas : mantissa_sets) {
    std::vector<double> values;
    for (int decade = first_decade; decade <= last_decade; ++decade) {
      for (double m : mantissas) {
        const double value = m * std::pow(10.0, decade);
        if (value >= min * (1 - kSlack) && value <= max * (1 + kSlack)) values.push_back(value);
      }
    }
    if (values.size() < 2) break;  // sparser sets have even fewer: use linear ticks
    if (static_cast<int>(values.size()) <= max_ticks || mantissas.size() == 1) {
      // Too many decades even for one tick each: keep every stride-th, anchored at 10^0 so a
      // chart shows 1, 1k, 1M rather than 10, 10k, 10M.
      const int stride = (static_cast<int>(values.size()) + max_ticks - 1) / max_ticks;
      AxisTicks ticks{.min = min, .max = max, .step = 0, .values = {}};
      for (double value : values) {
        const auto decade = static_cast<std::int64_t>(std::floor(std::log10(value) + kSlack));
        if (decade % stride == 0) ticks.values.push_back(value);
      }
      return ticks;
    }
  }
  return LinearTicks(min, max, max_ticks, false);
}

std::string FormatTick(double value, double step) {
  if (!std::isfinite(value)) return "";
  step = std::fabs(step);
  if (!(step > 0) || !std::isfinite(step)) step = value != 0 ? std::fabs(value) : 1;
  if (std::fabs(value) < step * 1e-6) return "0";
  struct Suffix {
    double factor;
    const char* name;
  };
  constexpr Suffix kSuffixes[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}};
  Suffix suffix = kSuffixes[4];
  for (const Suffix& s : kSuffixes) {
    if (std::fabs(value) >= s.factor * (1 - kSlack)) {
      suffix = s;
      break;
    }
  }
  const int decimals = DecimalsFor(step / suffix.factor);
  if (decimals > 6) return fmt::format("{:.3g}", value);  // 1e-07: rare, but never "0.0000001"
  std::string text = fmt::format("{:.{}f}", value / suffix.factor, decimals);
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
  }
  // Returned rather than assigned: GCC 12 at -O2 warns (-Wrestrict, a known false positive)
  // on assigning a literal to this string.
  if (text == "-0") return fmt::format("0{}", suffix.name);
  return fmt::format("{}{}", text, suffix.name);
}

}  // namespace infermeter::report
