#include "kernels/kv_decode_simd.h"

// GCC 12's AVX-512 headers make masked loads look "used uninitialized" once inlined at -O3
// (GCC bug 105593); the values are never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

namespace infermeter::engines::reference {
namespace {

#define INFERMETER_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

INFERMETER_AVX512 inline __mmask16 TailMask(std::int64_t remaining) {
  return remaining >= 16 ? static_cast<__mmask16>(0xffff)
                         : static_cast<__mmask16>((1u << remaining) - 1u);
}

// 16 FP8 e4m3 codes (zero-extended to 32 bits) to floats, without a table and without
// touching float subnormals (so DAZ/FTZ cannot change the result):
//   normal (e > 0): bits (e + 120) << 23 | m << 20 is 2^(e-7) * (1 + m/8) exactly;
//   subnormal (e == 0): the same bits give 2^-7 + m * 2^-10, and (that - 2^-7) * 2 = m * 2^-9,
//   both steps exact; code 0x7f (and 0xff) is NaN, as in the table.
INFERMETER_AVX512 inline __m512 Fp8ToFloat(__m512i code) {
  const __m512i magnitude = _mm512_and_si512(code, _mm512_set1_epi32(0x7f));
  const __m512i sign = _mm512_slli_epi32(_mm512_and_si512(code, _mm512_set1_epi32(0x80)), 24);
  const __m512i bits =
      _mm512_add_epi32(_mm512_slli_epi32(magnitude, 20), _mm512_set1_epi32(120 << 23));
  __m512 v = _mm512_castsi512_ps(bits);
  const __mmask16 subnormal =
      _mm512_cmplt_epi32_mask(magnitude, _mm512_set1_epi32(8));  // exponent field 0
  const __m512 base = _mm512_set1_ps(0.0078125f);                // 2^-7
  v = _mm512_mask_mul_ps(v, subnormal, _mm512_sub_ps(v, base), _mm512_set1_ps(2.0f));
  const __mmask16 nan = _mm512_cmpeq_epi32_mask(magnitude, _mm512_set1_epi32(0x7f));
  v = _mm512_mask_mov_ps(v, nan, _mm512_set1_ps(__builtin_nanf("")));
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(v), sign));
}

}  // namespace

INFERMETER_AVX512 void DecodeFp8Avx512(const std::uint8_t* in, std::int64_t n, float scale,
                                       float* out) {
  const __m512 s = _mm512_set1_ps(scale);
  for (std::int64_t i = 0; i < n; i += 16) {
    const __mmask16 mask = TailMask(n - i);
    const __m128i bytes = _mm_maskz_loadu_epi8(mask, in + i);
    const __m512 v = _mm512_mul_ps(Fp8ToFloat(_mm512_cvtepu8_epi32(bytes)), s);
    _mm512_mask_storeu_ps(out + i, mask, v);
  }
}

INFERMETER_AVX512 void DecodeBf16Avx512(const std::uint8_t* in, std::int64_t n, float* out) {
  for (std::int64_t i = 0; i < n; i += 16) {
    const __mmask16 mask = TailMask(n - i);
    const __m256i half = _mm256_maskz_loadu_epi16(mask, in + 2 * i);
    const __m512i bits = _mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16);
    _mm512_mask_storeu_ps(out + i, mask, _mm512_castsi512_ps(bits));
  }
}

}  // namespace infermeter::engines::reference
