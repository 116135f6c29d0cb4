#pragma once
// Bootstrap machinery shared by every interval `infermeter compare` reports: a seeded generator
// whose draws are the same on every platform (so a comparison printed twice is the same), one
// resample's counts, a circular block resample of a time series, and the percentile interval.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "infermeter/core/xoshiro.h"

namespace infermeter::compare {

// xoshiro256** seeded through splitmix64: fast, and fully specified (std::mt19937 is, but the
// standard distributions over it are not, so libstdc++ and libc++ would disagree).
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t Next();
  // Uniform in [0, n) without modulo bias (Lemire's multiply-shift). REQUIRES: n > 0.
  std::size_t Below(std::size_t n);

 private:
  Xoshiro256 engine_;
};

// The generator of resample `resample` of a bootstrap seeded with `seed`: each resample has its
// own stream, so resamples can be drawn in any order and on any number of threads with the same
// result.
Rng ResampleRng(std::uint64_t seed, std::uint64_t resample);

// How many times each of `n` items is drawn in one bootstrap resample (n draws with
// replacement): counts.size() == n, sum == n.
void DrawCounts(Rng& rng, std::size_t n, std::vector<std::uint32_t>& counts);

// The moving-block bootstrap's block length for a series of n points: round(n^(1/3)), at least 1
// (Hall, Horowitz & Jing 1995: the order that minimises the error of a variance estimate).
std::size_t BlockLength(std::size_t n);

// The sum of one circular block resample of `series`: blocks of `block` consecutive points
// starting at uniformly drawn positions, wrapping from the last point to the first, laid end to
// end and cut at series.size() points. Neighbouring seconds of a run are correlated (a batch
// spans them), which resampling single points would ignore. Wrapping gives every point the same
// chance to be drawn (Politis & Romano 1992), so a run's ramp-up and drain seconds are not drawn
// less often than its middle, and the resamples centre on the run's own rate.
// REQUIRES: 1 <= block <= series.size().
double BlockResampleSum(const std::vector<double>& series, std::size_t block, Rng& rng);

struct Interval {
  double low = 0;
  double high = 0;
};

// The percentile interval of a bootstrap distribution: its nearest-rank quantiles
// (1 - confidence) / 2 and (1 + confidence) / 2. nullopt for fewer than 2 values. Reorders them.
std::optional<Interval> PercentileInterval(std::vector<double>& resamples, double confidence);

}  // namespace infermeter::compare
