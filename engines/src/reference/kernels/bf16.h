#pragma once
// BF16 storage type and conversions. Weights live in BF16; all arithmetic is FP32.

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace infermeter::engines::reference {

struct Bf16 {
  std::uint16_t bits = 0;
};

inline float ToFloat(Bf16 v) {
  const std::uint32_t wide = static_cast<std::uint32_t>(v.bits) << 16;
  float out;
  std::memcpy(&out, &wide, sizeof out);
  return out;
}

// Round to nearest even; NaN stays NaN.
inline Bf16 ToBf16(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0) {
    return Bf16{static_cast<std::uint16_t>((bits >> 16) | 0x40)};
  }
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return Bf16{static_cast<std::uint16_t>(bits >> 16)};
}

// Vectorised where the CPU allows (chosen at run time).
void ConvertToBf16(const float* in, Bf16* out, std::size_t n);
void ConvertToFloat(const Bf16* in, float* out, std::size_t n);

}  // namespace infermeter::engines::reference
