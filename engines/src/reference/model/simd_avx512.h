#pragma once
// AVX-512 helpers shared by the model's FP32 (simd.cpp) and BF16 (attention_bf16.cpp) inner
// loops. Include only from translation units that compile these with the matching target
// attribute and check the CPU at run time before calling them.

#include <immintrin.h>

#include <cstdint>

#define INFERMETER_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

namespace infermeter::engines::reference::avx512 {

// Lanes [0, remaining) of 16 (none when remaining <= 0).
INFERMETER_AVX512 inline __mmask16 TailMask(std::int64_t remaining) {
  if (remaining <= 0) return static_cast<__mmask16>(0);
  return remaining >= 16 ? static_cast<__mmask16>(0xffff)
                         : static_cast<__mmask16>((1u << remaining) - 1u);
}

// Lane k of the result = _mm512_reduce_add_ps(v[k]), bit for bit: the same pairwise tree
// (lanes i + 8, then i + 4, then i + 2, then i + 1; float addition is commutative), done for 16
// vectors at once with 30 shuffles and 15 adds instead of 16 separate reductions of ~7 ops.
INFERMETER_AVX512 inline __m512 Reduce16(const __m512* v) {
  __m512 s[8];  // s[k]: lanes 0-7 half-sums of v[2k], lanes 8-15 of v[2k + 1]
#pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) {
    const __m512 lo = _mm512_shuffle_f32x4(v[2 * k], v[2 * k + 1], 0x44);
    const __m512 hi = _mm512_shuffle_f32x4(v[2 * k], v[2 * k + 1], 0xee);
    s[k] = _mm512_add_ps(lo, hi);
  }
  __m512 u[4];  // quarters: 4-lane sums of v[4k .. 4k + 3]
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    const __m512 x = _mm512_shuffle_f32x4(s[2 * k], s[2 * k + 1], 0x88);
    const __m512 y = _mm512_shuffle_f32x4(s[2 * k], s[2 * k + 1], 0xdd);
    u[k] = _mm512_add_ps(x, y);
  }
  __m512 z[2];  // within each quarter: [0] + [2], [1] + [3] of two vectors
#pragma GCC unroll 2
  for (int k = 0; k < 2; ++k) {
    const __m512 x = _mm512_shuffle_ps(u[2 * k], u[2 * k + 1], 0x44);
    const __m512 y = _mm512_shuffle_ps(u[2 * k], u[2 * k + 1], 0xee);
    z[k] = _mm512_add_ps(x, y);
  }
  const __m512 x = _mm512_shuffle_ps(z[0], z[1], 0x88);
  const __m512 y = _mm512_shuffle_ps(z[0], z[1], 0xdd);
  // Lane l now holds vector 4 * (l % 4) + l / 4; the inverse permutation has the same form.
  const __m512i order = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  return _mm512_permutexvar_ps(order, _mm512_add_ps(x, y));
}

}  // namespace infermeter::engines::reference::avx512
