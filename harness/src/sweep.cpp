#include "infermeter/harness/sweep.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::harness {
namespace {

[[noreturn]] void Bad(const std::string& option, std::string message) {
  throw InputError({.source = "<command line>", .field = option}, std::move(message));
}

double ParseNumber(std::string_view item, const std::string& option) {
  double value = 0;
  const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
  if (ec != std::errc() || end != item.data() + item.size() || !std::isfinite(value)) {
    Bad(option, fmt::format("'{}' is not a number", item));
  }
  return value;
}

}  // namespace

SweepSpec ParseSweep(const std::string& text, const std::string& option) {
  const auto eq = text.find('=');
  if (eq == std::string::npos) {
    Bad(option, fmt::format("'{}': expected rate=V1,V2,... or concurrency=V1,V2,...", text));
  }
  const std::string name = text.substr(0, eq);
  SweepSpec spec;
  if (name == "rate") {
    spec.parameter = SweepParameter::kRate;
  } else if (name == "concurrency") {
    spec.parameter = SweepParameter::kConcurrency;
  } else {
    Bad(option, fmt::format("'{}' cannot be swept; expected rate or concurrency", name));
  }
  std::string_view rest(text);
  rest.remove_prefix(eq + 1);
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    if (item.empty()) Bad(option, fmt::format("'{}': an empty value in the list", text));
    const double value = ParseNumber(item, option);
    if (spec.parameter == SweepParameter::kRate && !(value > 0)) {
      Bad(option, fmt::format("rate '{}' must be > 0", item));
    }
    if (spec.parameter == SweepParameter::kConcurrency &&
        (value < 1 || value != std::floor(value))) {
      Bad(option, fmt::format("concurrency '{}' must be a whole number >= 1", item));
    }
    spec.values.push_back(value);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return spec;
}

std::string PointLabel(SweepParameter parameter, double value) {
  return parameter == SweepParameter::kRate ? fmt::format("rate={:g}", value)
                                            : fmt::format("concurrency={:g}", value);
}

GoodputSearchResult SearchMaxGoodput(
    const GoodputSearchSettings& settings,
    const std::function<GoodputPoint(double rate_per_s)>& measure) {
  const auto bad = [](std::string field, std::string message) {
    throw InputError({.source = "<command line>", .field = std::move(field)}, std::move(message));
  };
  if (!(settings.target_good_fraction > 0 && settings.target_good_fraction <= 1)) {
    bad("--goodput-target",
        fmt::format("expected a fraction in (0, 1], got {}", settings.target_good_fraction));
  }
  if (!(settings.min_rate_per_s > 0) || !(settings.max_rate_per_s >= settings.min_rate_per_s) ||
      settings.initial_rate_per_s < settings.min_rate_per_s ||
      settings.initial_rate_per_s > settings.max_rate_per_s) {
    bad("--rate",
        fmt::format("need 0 < min ({}) <= initial ({}) <= max ({}) request rate",
                    settings.min_rate_per_s, settings.initial_rate_per_s, settings.max_rate_per_s));
  }
  if (!(settings.relative_tolerance > 0)) bad("relative_tolerance", "expected > 0");
  if (settings.max_points < 2) bad("--search-points", "expected at least 2");

  GoodputSearchResult result;
  const auto probe = [&](double rate) {
    GoodputPoint point = measure(rate);
    point.rate_per_s = rate;
    point.passed = point.valid && point.good_fraction >= settings.target_good_fraction;
    result.points.push_back(point);
    return point.passed;
  };
  const auto budget_left = [&] {
    return static_cast<int>(result.points.size()) < settings.max_points;
  };

  std::optional<double> passing;  // highest rate known to pass
  std::optional<double> failing;  // lowest rate known to fail
  double rate = settings.initial_rate_per_s;
  if (probe(rate)) {
    passing = rate;
    while (budget_left() && rate < settings.max_rate_per_s) {
      rate = std::min(rate * 2, settings.max_rate_per_s);
      if (!probe(rate)) {
        failing = rate;
        break;
      }
      passing = rate;
    }
  } else {
    failing = rate;
    while (budget_left() && rate > settings.min_rate_per_s) {
      rate = std::max(rate / 2, settings.min_rate_per_s);
      if (probe(rate)) {
        passing = rate;
        break;
      }
      failing = rate;
    }
  }
  while (passing && failing && budget_left() &&
         *failing / *passing - 1 > settings.relative_tolerance) {
    const double mid = std::sqrt(*passing * *failing);
    if (probe(mid)) {
      passing = mid;
    } else {
      failing = mid;
    }
  }

  result.max_rate_per_s = passing;
  if (!passing) {
    result.conclusion = fmt::format("no rate down to {:g}/s reached a good fraction of {:g}",
                                    *failing, settings.target_good_fraction);
  } else if (!failing) {
    result.conclusion = fmt::format(
        "every rate up to {:g}/s passed; the maximum goodput rate is at least that", *passing);
  } else {
    result.conclusion = fmt::format(
        "max goodput rate {:.3g}/s (passes; {:.3g}/s fails, bracket {:.1f}% wide, {} points)",
        *passing, *failing, 100.0 * (*failing / *passing - 1), result.points.size());
  }
  return result;
}

}  // namespace infermeter::harness
