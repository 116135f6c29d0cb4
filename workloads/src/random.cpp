#include "infermeter/workloads/random.h"

#include <array>
#include <charconv>
#include <cmath>
#include <numbers>
#include <vector>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::workloads {

std::uint64_t Mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t Combine64(std::uint64_t a, std::uint64_t b) {
  return Mix64(Mix64(a) ^ (b + 0x632be59bd9b4e019ULL));
}

namespace {
// The generator's words: splitmix64 steps from the seed (as workloads have always been seeded).
std::array<std::uint64_t, 4> SeedWords(std::uint64_t seed) {
  std::array<std::uint64_t, 4> words{};
  std::uint64_t x = seed;
  for (auto& word : words) {
    x += 0x9e3779b97f4a7c15ULL;
    word = Mix64(x);
  }
  return words;
}
}  // namespace

Rng::Rng(std::uint64_t seed) : engine_(SeedWords(seed)) {}

std::uint64_t Rng::Next() { return engine_.Next(); }

double Rng::Uniform01() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

double Rng::StandardNormal() {
  // 1 - U keeps the logarithm's argument in (0, 1].
  const double u1 = 1.0 - Uniform01();
  const double u2 = Uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double Rng::Exponential(double mean) { return -mean * std::log(1.0 - Uniform01()); }

double Rng::Gamma(double shape, double scale) {
  if (shape < 1.0) {
    // Gamma(a) = Gamma(a + 1) * U^(1/a) (Marsaglia and Tsang, section 6).
    const double u = 1.0 - Uniform01();
    return Gamma(shape + 1.0, scale) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x = 0;
    double v = 0;
    do {
      x = StandardNormal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = 1.0 - Uniform01();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v * scale;
  }
}

namespace {

double ParseNumber(const std::string& text, const std::string& part, const std::string& option) {
  double value = 0;
  const auto* end = part.data() + part.size();
  const auto [ptr, ec] = std::from_chars(part.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    throw InputError({.source = "<command line>", .field = option},
                     fmt::format("'{}' in '{}' is not a number", part, text));
  }
  return value;
}

}  // namespace

Distribution ParseDistribution(const std::string& text, const std::string& option) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  const auto fail = [&] {
    throw InputError({.source = "<command line>", .field = option},
                     fmt::format("'{}' is not a distribution; expected fixed:V, uniform:MIN:MAX, "
                                 "normal:MEAN:STDDEV, lognormal:MEDIAN:SIGMA or exponential:MEAN",
                                 text));
  };
  Distribution d;
  const std::string& name = parts[0];
  std::size_t arity = 0;
  if (name == "fixed") {
    d.kind = Distribution::Kind::kFixed, arity = 1;
  } else if (name == "uniform") {
    d.kind = Distribution::Kind::kUniform, arity = 2;
  } else if (name == "normal") {
    d.kind = Distribution::Kind::kNormal, arity = 2;
  } else if (name == "lognormal") {
    d.kind = Distribution::Kind::kLognormal, arity = 2;
  } else if (name == "exponential") {
    d.kind = Distribution::Kind::kExponential, arity = 1;
  } else {
    fail();
  }
  if (parts.size() != arity + 1) fail();
  d.a = ParseNumber(text, parts[1], option);
  if (arity == 2) d.b = ParseNumber(text, parts[2], option);
  const bool ok = d.a >= 0 && d.b >= 0 && (d.kind != Distribution::Kind::kUniform || d.a <= d.b) &&
                  (d.kind != Distribution::Kind::kLognormal || d.a > 0) &&
                  (d.kind != Distribution::Kind::kExponential || d.a > 0);
  if (!ok) {
    throw InputError({.source = "<command line>", .field = option},
                     fmt::format("'{}': parameters must be >= 0, MIN <= MAX, and MEDIAN and MEAN "
                                 "of lognormal and exponential > 0",
                                 text));
  }
  return d;
}

std::string ToString(const Distribution& d) {
  switch (d.kind) {
    case Distribution::Kind::kFixed:
      return fmt::format("fixed:{}", d.a);
    case Distribution::Kind::kUniform:
      return fmt::format("uniform:{}:{}", d.a, d.b);
    case Distribution::Kind::kNormal:
      return fmt::format("normal:{}:{}", d.a, d.b);
    case Distribution::Kind::kLognormal:
      return fmt::format("lognormal:{}:{}", d.a, d.b);
    case Distribution::Kind::kExponential:
      return fmt::format("exponential:{}", d.a);
  }
  return "?";
}

double Sample(const Distribution& d, Rng& rng) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    double value = 0;
    switch (d.kind) {
      case Distribution::Kind::kFixed:
        value = d.a;
        break;
      case Distribution::Kind::kUniform:
        value = d.a + (d.b - d.a) * rng.Uniform01();
        break;
      case Distribution::Kind::kNormal:
        value = d.a + d.b * rng.StandardNormal();
        break;
      case Distribution::Kind::kLognormal:
        value = d.a * std::exp(d.b * rng.StandardNormal());
        break;
      case Distribution::Kind::kExponential:
        value = rng.Exponential(d.a);
        break;
    }
    if (value >= d.min && value <= d.max) return value;
  }
  throw Error(
      fmt::format("distribution {} almost never falls within [{}, {}]", ToString(d), d.min, d.max));
}

std::int64_t SampleInt(const Distribution& d, Rng& rng) {
  // Rounding can step just outside the bounds; such values are drawn again like any other.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const auto value = static_cast<std::int64_t>(std::llround(Sample(d, rng)));
    if (static_cast<double>(value) >= d.min && static_cast<double>(value) <= d.max) return value;
  }
  throw Error(
      fmt::format("distribution {} almost never rounds into [{}, {}]", ToString(d), d.min, d.max));
}

}  // namespace infermeter::workloads
