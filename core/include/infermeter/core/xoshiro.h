#pragma once
// xoshiro256** (Blackman & Vigna): the pseudo-random generator behind every seeded draw in
// infermeter (workloads, bootstrap intervals). Fully specified, so a seed gives the same numbers
// on every platform and standard library, which std::mt19937's distributions do not. Seeding is
// the user's: each caller spreads its seed over the four words its own way, and changing that
// would change every workload or interval already recorded under a seed.

#include <array>
#include <cstdint>

namespace infermeter {

class Xoshiro256 {
 public:
  // REQUIRES: not all four words zero.
  explicit Xoshiro256(const std::array<std::uint64_t, 4>& state) : s_(state) {}

  std::uint64_t Next() {
    const std::uint64_t result = RotateLeft(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = RotateLeft(s_[3], 45);
    return result;
  }

 private:
  static std::uint64_t RotateLeft(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::array<std::uint64_t, 4> s_;
};

}  // namespace infermeter
