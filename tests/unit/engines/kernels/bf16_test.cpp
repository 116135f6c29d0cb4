// BF16 conversions: round to nearest even, NaN stays NaN, and the vector path gives exactly the
// bits of the scalar one on every instruction set this CPU offers.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/cpu_features.h"

namespace infermeter::engines::reference {
namespace {

float FromBits(std::uint32_t bits) {
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(ToBf16(1.0f).bits, 0x3f80);
  // 1 + 2^-8 lies exactly between 1 and 1 + 2^-7: the tie goes to the even mantissa (1.0).
  EXPECT_EQ(ToBf16(FromBits(0x3f808000)).bits, 0x3f80);
  // 1 + 3 * 2^-8 lies between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up to even.
  EXPECT_EQ(ToBf16(FromBits(0x3f818000)).bits, 0x3f82);
  // Just above the tie rounds up; just below rounds down.
  EXPECT_EQ(ToBf16(FromBits(0x3f808001)).bits, 0x3f81);
  EXPECT_EQ(ToBf16(FromBits(0x3f807fff)).bits, 0x3f80);
  EXPECT_EQ(ToBf16(-2.0f).bits, 0xc000);
  // The largest finite float rounds to infinity, as IEEE round-to-nearest requires.
  EXPECT_EQ(ToBf16(std::numeric_limits<float>::max()).bits, 0x7f80);
  EXPECT_TRUE(std::isnan(ToFloat(ToBf16(std::numeric_limits<float>::quiet_NaN()))));
  // A signalling NaN whose payload sits in the low bits must not become infinity.
  EXPECT_TRUE(std::isnan(ToFloat(ToBf16(FromBits(0x7f800001)))));
}

TEST(Bf16, RoundTripIsExactForBf16Values) {
  for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
    const Bf16 b{static_cast<std::uint16_t>(bits)};
    const float f = ToFloat(b);
    if (std::isnan(f)) continue;
    ASSERT_EQ(ToBf16(f).bits, b.bits) << bits;
  }
}

TEST(Bf16, RelativeErrorIsAtMostHalfAnUlp) {
  for (float v : {3.14159265f, -1e-20f, 6.02e23f, 0.1f, 1234.5678f}) {
    EXPECT_LE(std::fabs(ToFloat(ToBf16(v)) - v), std::fabs(v) * 0x1p-8f) << v;
  }
}

// Every bit pattern class, at lengths that leave every tail size of the 16-wide loop.
std::vector<float> Awkward(std::size_t n) {
  std::vector<float> v(n);
  std::uint32_t state = 12345;
  for (std::size_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    v[i] = FromBits(state);  // any bits: normals, denormals, infinities, NaNs
  }
  return v;
}

class Bf16Vector : public testing::TestWithParam<KernelIsa> {
 protected:
  void SetUp() override {
    if (GetParam() > DetectedKernelIsa()) GTEST_SKIP() << "CPU lacks " << ToString(GetParam());
    LimitKernelIsa(GetParam());
  }
  void TearDown() override { LimitKernelIsa(DetectedKernelIsa()); }
};

TEST_P(Bf16Vector, MatchesScalarBitForBit) {
  for (std::size_t n : {0, 1, 15, 16, 17, 100, 4099}) {
    const std::vector<float> in = Awkward(n);
    std::vector<Bf16> out(n);
    ConvertToBf16(in.data(), out.data(), n);
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i].bits, ToBf16(in[i]).bits) << n << " " << i;
    std::vector<float> back(n);
    ConvertToFloat(out.data(), back.data(), n);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t expected = static_cast<std::uint32_t>(out[i].bits) << 16;
      std::uint32_t got;
      std::memcpy(&got, &back[i], sizeof got);
      ASSERT_EQ(got, expected) << n << " " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, Bf16Vector,
                         testing::Values(KernelIsa::kScalar, KernelIsa::kAvx512,
                                         KernelIsa::kAvx512Bf16),
                         [](const auto& info) { return std::string(ToString(info.param)); });

}  // namespace
}  // namespace infermeter::engines::reference
