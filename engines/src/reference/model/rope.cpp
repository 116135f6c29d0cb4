#include "model/rope.h"

#include <cmath>

namespace infermeter::engines::reference {
namespace {

void RotatePairs(float* x, std::int64_t dims, const float* cos, const float* sin, RopeStyle style,
                 bool inverse) {
  const std::int64_t pairs = dims / 2;
  const float sign = inverse ? -1.0f : 1.0f;
  if (style == RopeStyle::kInterleaved) {
    for (std::int64_t i = 0; i < pairs; ++i) {
      const float c = cos[i];
      const float s = sign * sin[i];
      const float a = x[2 * i];
      const float b = x[2 * i + 1];
      x[2 * i] = a * c - b * s;
      x[2 * i + 1] = a * s + b * c;
    }
  } else {
    for (std::int64_t i = 0; i < pairs; ++i) {
      const float c = cos[i];
      const float s = sign * sin[i];
      const float a = x[i];
      const float b = x[i + pairs];
      x[i] = a * c - b * s;
      x[i + pairs] = a * s + b * c;
    }
  }
}

// Angles in double: position * frequency reaches 1e6 rad at long context, where a float angle
// would be wrong in its first decimal.
void Angles(std::int64_t position, std::int64_t dims, double theta, float* cos, float* sin) {
  const std::int64_t pairs = dims / 2;
  for (std::int64_t i = 0; i < pairs; ++i) {
    const double frequency =
        std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(dims));
    const double angle = static_cast<double>(position) * frequency;
    cos[i] = static_cast<float>(std::cos(angle));
    sin[i] = static_cast<float>(std::sin(angle));
  }
}

}  // namespace

void RotateAt(float* x, std::int64_t dims, std::int64_t position, double theta, RopeStyle style,
              bool inverse) {
  // RoPE parts are at most a few hundred wide; a stack buffer keeps this allocation-free.
  constexpr std::int64_t kMaxDims = 1024;
  if (dims > kMaxDims) {
    std::vector<float> cs(static_cast<std::size_t>(dims));
    Angles(position, dims, theta, cs.data(), cs.data() + dims / 2);
    RotatePairs(x, dims, cs.data(), cs.data() + dims / 2, style, inverse);
    return;
  }
  float cs[kMaxDims];
  Angles(position, dims, theta, cs, cs + dims / 2);
  RotatePairs(x, dims, cs, cs + dims / 2, style, inverse);
}

void RopeTable::Build(std::span<const std::int64_t> positions, std::int64_t dims, double theta) {
  dims_ = dims;
  cos_sin_.resize(positions.size() * static_cast<std::size_t>(dims));
  const auto rows = static_cast<std::int64_t>(positions.size());
#pragma omp parallel for schedule(static) if (rows > 16)
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = cos_sin_.data() + r * dims;
    Angles(positions[static_cast<std::size_t>(r)], dims, theta, row, row + dims / 2);
  }
}

void RopeTable::Rotate(float* x, std::int64_t row, RopeStyle style, bool inverse) const {
  const float* cs = cos_sin_.data() + row * dims_;
  RotatePairs(x, dims_, cs, cs + dims_ / 2, style, inverse);
}

void RopeTables::Reset(std::span<const std::int64_t> positions) {
  positions_ = positions;
  for (auto& [key, fresh] : fresh_) fresh = false;
}

const RopeTable& RopeTables::Get(std::int64_t dims, double theta) {
  const auto key = std::make_pair(dims, theta);
  RopeTable& table = tables_[key];
  bool& fresh = fresh_[key];
  if (!fresh) {
    table.Build(positions_, dims, theta);
    fresh = true;
  }
  return table;
}

}  // namespace infermeter::engines::reference
