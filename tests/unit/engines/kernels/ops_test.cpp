// The elementwise and row kernels against their textbook formulas, in double precision.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "kernels/ops.h"

namespace infermeter::engines::reference {
namespace {

std::vector<float> Values(std::size_t n, float scale = 1.0f, float offset = 0.0f) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = offset + scale * std::sin(0.7f * static_cast<float>(i) + 0.3f);
  }
  return v;
}

TEST(Ops, DotAxpyScale) {
  for (std::size_t n : {0, 1, 15, 16, 17, 100, 1025}) {
    const auto a = Values(n);
    const auto b = Values(n, 2.0f, 0.5f);
    double expected = 0;
    for (std::size_t i = 0; i < n; ++i) expected += static_cast<double>(a[i]) * b[i];
    EXPECT_NEAR(Dot(a.data(), b.data(), static_cast<std::int64_t>(n)), expected,
                1e-5 * (1 + static_cast<double>(n)))
        << n;
    auto y = b;
    Axpy(-0.5f, a.data(), y.data(), static_cast<std::int64_t>(n));
    for (std::size_t i = 0; i < n; ++i) EXPECT_FLOAT_EQ(y[i], b[i] - 0.5f * a[i]);
    Scale(3.0f, y.data(), static_cast<std::int64_t>(n));
    for (std::size_t i = 0; i < n; ++i) EXPECT_FLOAT_EQ(y[i], 3.0f * (b[i] - 0.5f * a[i]));
  }
}

TEST(Ops, RmsNorm) {
  const auto x = Values(77, 3.0f, 0.2f);
  const auto weight = Values(77, 0.5f, 1.0f);
  double square = 0;
  for (float v : x) square += static_cast<double>(v) * v;
  const double inv = 1.0 / std::sqrt(square / 77 + 1e-6);
  std::vector<float> out(77);
  RmsNorm(x.data(), weight.data(), 77, 1e-6f, out.data());
  for (int i = 0; i < 77; ++i) EXPECT_NEAR(out[i], x[i] * inv * weight[i], 1e-5) << i;
  // In place, without a learned scale.
  auto in_place = x;
  RmsNorm(in_place.data(), nullptr, 77, 1e-6f, in_place.data());
  for (int i = 0; i < 77; ++i) EXPECT_NEAR(in_place[i], x[i] * inv, 1e-5) << i;
}

TEST(Ops, LayerNormKeepsPrecisionFarFromZero) {
  const auto x = Values(128, 1.0f, 1000.0f);  // |mean| >> std
  const auto weight = Values(128, 0.5f, 1.0f);
  const auto bias = Values(128, 0.1f);
  const double mean = std::accumulate(x.begin(), x.end(), 0.0) / 128;
  double variance = 0;
  for (float v : x) variance += (v - mean) * (v - mean);
  variance /= 128;
  std::vector<float> out(128);
  LayerNorm(x.data(), weight.data(), bias.data(), 128, 1e-5f, out.data());
  for (int i = 0; i < 128; ++i) {
    const double expected = (x[i] - mean) / std::sqrt(variance + 1e-5) * weight[i] + bias[i];
    EXPECT_NEAR(out[i], expected, 2e-3) << i;
  }
}

TEST(Ops, RopeRotatesPairsAndInverts) {
  const std::int64_t dims = 64;
  const double theta = 10000.0;
  const std::int64_t position = 123457;
  const auto x = Values(dims);
  auto y = x;
  ApplyRope(y.data(), dims, position, theta);
  for (std::int64_t i = 0; i < dims / 2; ++i) {
    const double angle = position * std::pow(theta, -2.0 * i / dims);
    const double a = x[2 * i];
    const double b = x[2 * i + 1];
    EXPECT_NEAR(y[2 * i], a * std::cos(angle) - b * std::sin(angle), 1e-5) << i;
    EXPECT_NEAR(y[2 * i + 1], a * std::sin(angle) + b * std::cos(angle), 1e-5) << i;
  }
  ApplyRope(y.data(), dims, position, theta, /*inverse=*/true);
  for (std::int64_t i = 0; i < dims; ++i) EXPECT_NEAR(y[i], x[i], 1e-5) << i;
  // Position 0 is the identity.
  auto z = x;
  ApplyRope(z.data(), dims, 0, theta);
  EXPECT_EQ(z, x);
}

TEST(Ops, SoftmaxWithAndWithoutSink) {
  std::vector<float> x = {1.0f, 2.0f, 3.0f, -1.0f, 100.0f};
  const auto logits = x;
  Softmax(x.data(), 5);
  double total = 0;
  for (float v : logits) total += std::exp(v - 100.0);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(x[i], std::exp(logits[i] - 100.0) / total, 1e-6) << i;

  std::vector<float> y = {0.5f, -0.5f, 1.5f};
  const float sink = 2.0f;
  Softmax(y.data(), 3, &sink);
  const double denominator = std::exp(0.5) + std::exp(-0.5) + std::exp(1.5) + std::exp(2.0);
  EXPECT_NEAR(y[0], std::exp(0.5) / denominator, 1e-6);
  EXPECT_NEAR(y[2], std::exp(1.5) / denominator, 1e-6);
  EXPECT_LT(y[0] + y[1] + y[2], 1.0f);

  // A sink far above every logit takes (almost) all the mass.
  std::vector<float> z = {0.0f, 0.0f};
  const float big_sink = 50.0f;
  Softmax(z.data(), 2, &big_sink);
  EXPECT_LT(z[0], 1e-20f);

  // Fully masked rows become zeros rather than NaN.
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> masked = {-inf, -inf};
  Softmax(masked.data(), 2);
  EXPECT_EQ(masked[0], 0.0f);
  EXPECT_EQ(masked[1], 0.0f);
}

TEST(Ops, SwiGluWithAndWithoutClamp) {
  const std::vector<float> gate = {-3.0f, 0.0f, 1.0f, 10.0f, 20.0f};
  const std::vector<float> up = {2.0f, 5.0f, -12.0f, 0.5f, 30.0f};
  auto silu = [](double g) { return g / (1.0 + std::exp(-g)); };
  std::vector<float> out(5);
  SwiGlu(gate.data(), up.data(), 5, 0.0f, out.data());
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(out[i], silu(gate[i]) * up[i], 1e-4) << i;
  // V4: gate clamped to at most the limit (not from below), up clamped to [-limit, limit].
  const double limit = 7.0;
  SwiGlu(gate.data(), up.data(), 5, 7.0f, out.data());
  for (int i = 0; i < 5; ++i) {
    const double g = std::min<double>(gate[i], limit);
    const double u = std::clamp<double>(up[i], -limit, limit);
    EXPECT_NEAR(out[i], silu(g) * u, 1e-4) << i;
  }
  EXPECT_NEAR(out[0], silu(-3.0) * 2.0, 1e-5);  // negative gate passes unclamped
}

TEST(Ops, SigmoidAndSoftplus) {
  for (double x : {-100.0, -5.0, -0.1, 0.0, 0.7, 5.0, 100.0}) {
    EXPECT_NEAR(Sigmoid(static_cast<float>(x)), 1.0 / (1.0 + std::exp(-x)), 1e-7) << x;
    const double softplus = x > 30 ? x : std::log1p(std::exp(x));
    EXPECT_NEAR(Softplus(static_cast<float>(x)), softplus, 1e-5 * (1 + std::fabs(x))) << x;
  }
  EXPECT_TRUE(std::isfinite(Softplus(1000.0f)));
}

}  // namespace
}  // namespace infermeter::engines::reference
