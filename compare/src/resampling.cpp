#include "infermeter/compare/resampling.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace infermeter::compare {
namespace {

std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// GCC's 128-bit integer for the multiply-shift (the extension keeps -Wpedantic quiet).
__extension__ typedef unsigned __int128 Uint128;

// 1-based nearest rank of quantile q in n values: ceil(q * n), clamped to [1, n].
std::size_t NearestRank(std::size_t n, double q) {
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n) - 1e-9));
  return std::clamp<std::size_t>(rank, 1, n);
}

}  // namespace

namespace {
// The generator's words: successive splitmix64 outputs from the seed.
std::array<std::uint64_t, 4> SeedWords(std::uint64_t seed) {
  std::array<std::uint64_t, 4> words{};
  for (std::uint64_t& word : words) word = SplitMix64(seed);
  return words;
}
}  // namespace

Rng::Rng(std::uint64_t seed) : engine_(SeedWords(seed)) {}

Rng ResampleRng(std::uint64_t seed, std::uint64_t resample) {
  // Rng's splitmix64 seeding spreads neighbouring seeds over unrelated states.
  std::uint64_t state = seed;
  const std::uint64_t mixed_seed = SplitMix64(state) ^ (resample * 0xd1b54a32d192ed03ULL);
  return Rng(mixed_seed);
}

std::uint64_t Rng::Next() { return engine_.Next(); }

std::size_t Rng::Below(std::size_t n) {
  const auto bound = static_cast<std::uint64_t>(n);
  Uint128 product = static_cast<Uint128>(Next()) * bound;
  auto low = static_cast<std::uint64_t>(product);
  if (low < bound) {
    const std::uint64_t threshold = -bound % bound;
    while (low < threshold) {
      product = static_cast<Uint128>(Next()) * bound;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::size_t>(product >> 64);
}

void DrawCounts(Rng& rng, std::size_t n, std::vector<std::uint32_t>& counts) {
  counts.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) ++counts[rng.Below(n)];
}

std::size_t BlockLength(std::size_t n) {
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(std::cbrt(n))));
}

double BlockResampleSum(const std::vector<double>& series, std::size_t block, Rng& rng) {
  const std::size_t n = series.size();
  double sum = 0;
  for (std::size_t taken = 0; taken < n;) {
    const std::size_t start = rng.Below(n);
    const std::size_t length = std::min(block, n - taken);
    for (std::size_t i = 0; i < length; ++i) sum += series[(start + i) % n];
    taken += length;
  }
  return sum;
}

std::optional<Interval> PercentileInterval(std::vector<double>& resamples, double confidence) {
  const std::size_t n = resamples.size();
  if (n < 2) return std::nullopt;
  const double tail = (1 - confidence) / 2;
  const auto low = resamples.begin() + static_cast<std::ptrdiff_t>(NearestRank(n, tail) - 1);
  std::nth_element(resamples.begin(), low, resamples.end());
  const double low_value = *low;
  const auto high = resamples.begin() + static_cast<std::ptrdiff_t>(NearestRank(n, 1 - tail) - 1);
  std::nth_element(low, high, resamples.end());
  return Interval{.low = low_value, .high = *high};
}

}  // namespace infermeter::compare
