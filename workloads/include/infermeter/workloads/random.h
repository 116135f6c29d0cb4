#pragma once
// Seeded randomness with results that are identical on every platform and standard library
// (std:: distributions are implementation-defined, so we do not use them for workloads).

#include <cstdint>
#include <string>

#include "infermeter/core/xoshiro.h"

namespace infermeter::workloads {

// SplitMix64 finalizer: a bijective 64-bit mixer. Used to derive seeds and block contents.
std::uint64_t Mix64(std::uint64_t x);
// Mixes two values into one (order matters).
std::uint64_t Combine64(std::uint64_t a, std::uint64_t b);

// xoshiro256** pseudo-random generator, seeded through SplitMix64. Not thread-safe: one per
// thread or per random dimension.
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t Next();
  double Uniform01();       // in [0, 1), 53 random bits
  double StandardNormal();  // Box-Muller
  double Exponential(double mean);
  double Gamma(double shape, double scale);  // Marsaglia-Tsang

 private:
  Xoshiro256 engine_;
};

// A distribution of non-negative values (token counts or milliseconds), written as text:
//   fixed:V  uniform:MIN:MAX  normal:MEAN:STDDEV  lognormal:MEDIAN:SIGMA  exponential:MEAN
// Samples outside [min, max] are drawn again (a truncated distribution), never clamped.
struct Distribution {
  enum class Kind { kFixed, kUniform, kNormal, kLognormal, kExponential };
  Kind kind = Kind::kFixed;
  double a = 0;  // V, MIN, MEAN, MEDIAN or MEAN
  double b = 0;  // MAX, STDDEV or SIGMA
  double min = 0;
  double max = 1e18;

  bool operator==(const Distribution&) const = default;
};

// Parses the text form above; throws InputError naming `option` on bad text.
Distribution ParseDistribution(const std::string& text, const std::string& option);
std::string ToString(const Distribution& distribution);
// Draws one value in [min, max]. Throws Error when 1000 draws in a row fall outside the bounds
// (bounds that exclude almost all of the distribution).
double Sample(const Distribution& distribution, Rng& rng);
// Sample rounded to the nearest integer, for token counts.
std::int64_t SampleInt(const Distribution& distribution, Rng& rng);

}  // namespace infermeter::workloads
