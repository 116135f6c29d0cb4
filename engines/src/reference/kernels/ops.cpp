#include "kernels/ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace infermeter::engines::reference {

// Loops are written for GCC's vectoriser: independent lanes of partial sums where a reduction
// would otherwise need reassociation (which -O3 without -ffast-math will not do). The hot ones
// are compiled for AVX-512 and AVX2 besides the baseline and picked at load time; results are
// the same bits on every path (16 fixed lanes; no FMA contraction in ISO C++ mode).
namespace {

#define INFERMETER_VECTOR_CLONES [[gnu::target_clones("avx512f", "avx2", "default")]]

constexpr int kLanes = 16;

// Sum of f(i) for i in [0, n), in kLanes partial sums.
template <typename F>
float LaneSum(std::int64_t n, F f) {
  float lanes[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] += f(i + l);
  }
  float sum = 0;
  for (; i < n; ++i) sum += f(i);
  for (float lane : lanes) sum += lane;
  return sum;
}

}  // namespace

INFERMETER_VECTOR_CLONES float Dot(const float* a, const float* b, std::int64_t n) {
  return LaneSum(n, [a, b](std::int64_t i) { return a[i] * b[i]; });
}

INFERMETER_VECTOR_CLONES void Axpy(float a, const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

INFERMETER_VECTOR_CLONES void Scale(float a, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] *= a;
}

INFERMETER_VECTOR_CLONES void RmsNorm(const float* x, const float* weight, std::int64_t n,
                                      float eps, float* out) {
  if (n <= 0) return;
  const float mean_square =
      LaneSum(n, [x](std::int64_t i) { return x[i] * x[i]; }) / static_cast<float>(n);
  const float inv = 1.0f / std::sqrt(mean_square + eps);
  if (weight != nullptr) {
    for (std::int64_t i = 0; i < n; ++i) out[i] = x[i] * inv * weight[i];
  } else {
    for (std::int64_t i = 0; i < n; ++i) out[i] = x[i] * inv;
  }
}

INFERMETER_VECTOR_CLONES void LayerNorm(const float* x, const float* weight, const float* bias,
                                        std::int64_t n, float eps, float* out) {
  if (n <= 0) return;
  const float count = static_cast<float>(n);
  const float mean = LaneSum(n, [x](std::int64_t i) { return x[i]; }) / count;
  // Two passes: the variance from centred values keeps precision when |mean| >> std.
  const float variance =
      LaneSum(n, [x, mean](std::int64_t i) { return (x[i] - mean) * (x[i] - mean); }) / count;
  const float inv = 1.0f / std::sqrt(variance + eps);
  for (std::int64_t i = 0; i < n; ++i) {
    const float normalised = (x[i] - mean) * inv;
    out[i] =
        normalised * (weight != nullptr ? weight[i] : 1.0f) + (bias != nullptr ? bias[i] : 0.0f);
  }
}

void ApplyRope(float* x, std::int64_t dims, std::int64_t position, double theta, bool inverse) {
  const std::int64_t pairs = dims / 2;
  const double sign = inverse ? -1.0 : 1.0;
  for (std::int64_t i = 0; i < pairs; ++i) {
    // Angles in double: position * frequency reaches 1e6 rad at long context, where float's
    // 24-bit mantissa would leave the angle wrong in its first decimal.
    const double frequency =
        std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(dims));
    const double angle = sign * static_cast<double>(position) * frequency;
    const float c = static_cast<float>(std::cos(angle));
    const float s = static_cast<float>(std::sin(angle));
    const float a = x[2 * i];
    const float b = x[2 * i + 1];
    x[2 * i] = a * c - b * s;
    x[2 * i + 1] = a * s + b * c;
  }
}

void Softmax(float* x, std::int64_t n, const float* sink_logit) {
  if (n <= 0) return;
  float max = *std::max_element(x, x + n);
  if (sink_logit != nullptr) max = std::max(max, *sink_logit);
  if (max == -std::numeric_limits<float>::infinity()) {
    // Every logit masked: nothing to attend to.
    std::fill_n(x, n, 0.0f);
    return;
  }
  float sum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  if (sink_logit != nullptr) sum += std::exp(*sink_logit - max);
  const float inv = 1.0f / sum;
  for (std::int64_t i = 0; i < n; ++i) x[i] *= inv;
}

float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

float Softplus(float x) {
  // log(1 + e^x) without overflow: x + log1p(e^-x) for large x.
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

void SwiGlu(const float* gate, const float* up, std::int64_t n, float limit, float* out) {
  for (std::int64_t i = 0; i < n; ++i) {
    float g = gate[i];
    float u = up[i];
    if (limit > 0) {
      // DeepSeek-V4: gate clamped from above only, up on both sides.
      g = std::min(g, limit);
      u = std::clamp(u, -limit, limit);
    }
    out[i] = g / (1.0f + std::exp(-g)) * u;
  }
}

}  // namespace infermeter::engines::reference
