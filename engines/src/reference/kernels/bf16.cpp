#include "kernels/bf16.h"

#include <immintrin.h>

#include "kernels/cpu_features.h"

// GCC 12 reports its own AVX-512 intrinsics (which start from _mm512_undefined_*) as "may be
// used uninitialized" once inlined at -O3 (GCC bug 105593); the values are never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace infermeter::engines::reference {
namespace {

void ConvertToBf16Scalar(const float* in, Bf16* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = ToBf16(in[i]);
}

void ConvertToFloatScalar(const Bf16* in, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = ToFloat(in[i]);
}

// The same integer rounding as ToBf16, 16 lanes at a time, so both paths give identical bits
// (VCVTNEPS2BF16 would flush denormals, which ToBf16 does not).
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m256i RoundToBf16Avx512(
    __m512i bits) {
  const __m512i exponent_mask = _mm512_set1_epi32(0x7f800000);
  const __mmask16 nan =
      _mm512_cmpeq_epi32_mask(_mm512_and_si512(bits, exponent_mask), exponent_mask) &
      _mm512_test_epi32_mask(bits, _mm512_set1_epi32(0x007fffff));
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), lsb));
  const __m512i result = _mm512_mask_or_epi32(rounded, nan, bits, _mm512_set1_epi32(0x00400000));
  return _mm512_cvtepi32_epi16(_mm512_srli_epi32(result, 16));
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void ConvertToBf16Avx512(const float* in,
                                                                              Bf16* out,
                                                                              std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i bits = _mm512_loadu_si512(in + i);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), RoundToBf16Avx512(bits));
  }
  if (i < n) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512i bits = _mm512_maskz_loadu_epi32(tail, in + i);
    _mm256_mask_storeu_epi16(out + i, tail, RoundToBf16Avx512(bits));
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void ConvertToFloatAvx512(const Bf16* in,
                                                                               float* out,
                                                                               std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i half = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    _mm512_storeu_si512(out + i, _mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
  }
  if (i < n) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m256i half = _mm256_maskz_loadu_epi16(tail, in + i);
    _mm512_mask_storeu_ps(out + i, tail,
                          _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16)));
  }
}

}  // namespace

void ConvertToBf16(const float* in, Bf16* out, std::size_t n) {
  if (CpuHasAvx512()) {
    ConvertToBf16Avx512(in, out, n);
  } else {
    ConvertToBf16Scalar(in, out, n);
  }
}

void ConvertToFloat(const Bf16* in, float* out, std::size_t n) {
  if (CpuHasAvx512()) {
    ConvertToFloatAvx512(in, out, n);
  } else {
    ConvertToFloatScalar(in, out, n);
  }
}

}  // namespace infermeter::engines::reference
