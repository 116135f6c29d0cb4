#include "model/attention_bf16.h"

// GCC 12's AVX-512 headers make masked loads and setzero look "used uninitialized" once inlined
// at -O3 (GCC bug 105593); the values are never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <algorithm>

#include "kernels/cpu_features.h"
#include "model/simd_avx512.h"

#define INFERMETER_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

namespace infermeter::engines::reference {
namespace {

using avx512::Reduce16;
using avx512::TailMask;

// 32 floats from src (columns [i, i + 32), zero from `dim` on) rounded to 32 BF16 in order.
INFERMETER_AVX512_BF16 inline __m512bh Load32AsBf16(const float* src, std::int64_t i,
                                                    std::int64_t dim) {
  const __m512 lo = _mm512_maskz_loadu_ps(TailMask(dim - i), src + i);
  const __m512 hi = _mm512_maskz_loadu_ps(TailMask(dim - i - 16), src + i + 16);
  return _mm512_cvtne2ps_pbh(hi, lo);  // lower 16 from lo, upper 16 from hi
}

INFERMETER_AVX512_BF16 inline void PackRow(const float* src, std::int64_t dim, Bf16* dst) {
  const std::int64_t padded = Bf16PaddedDim(dim);
  for (std::int64_t i = 0; i < padded; i += 32) {
    _mm512_storeu_si512(dst + i, reinterpret_cast<__m512i>(Load32AsBf16(src, i, dim)));
  }
}

INFERMETER_AVX512_BF16 inline __m512bh LoadBh(const void* p) {
  return reinterpret_cast<__m512bh>(_mm512_loadu_si512(p));
}

// `H` query heads against `J` key rows.
template <int H, int J>
INFERMETER_AVX512_BF16 inline void ScoresBlock(const Bf16* q, const Bf16* const* keys,
                                               std::int64_t padded, float scale, float* scores,
                                               std::int64_t score_stride) {
  __m512 acc[H][J];
#pragma GCC unroll 16
  for (int h = 0; h < H; ++h) {
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) acc[h][j] = _mm512_setzero_ps();
  }
  for (std::int64_t i = 0; i < padded; i += 32) {
    __m512bh kv[J];
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) kv[j] = LoadBh(keys[j] + i);
#pragma GCC unroll 16
    for (int h = 0; h < H; ++h) {
      const __m512bh qv = LoadBh(q + h * padded + i);
#pragma GCC unroll 16
      for (int j = 0; j < J; ++j) acc[h][j] = _mm512_dpbf16_ps(acc[h][j], qv, kv[j]);
    }
  }
  if constexpr (H * J == 16) {
    float sums[16];
    _mm512_storeu_ps(sums, _mm512_mul_ps(_mm512_set1_ps(scale), Reduce16(&acc[0][0])));
#pragma GCC unroll 16
    for (int h = 0; h < H; ++h) {
#pragma GCC unroll 16
      for (int j = 0; j < J; ++j) scores[h * score_stride + j] = sums[h * J + j];
    }
  } else {
#pragma GCC unroll 16
    for (int h = 0; h < H; ++h) {
#pragma GCC unroll 16
      for (int j = 0; j < J; ++j) {
        scores[h * score_stride + j] = scale * _mm512_reduce_add_ps(acc[h][j]);
      }
    }
  }
}

template <int H>
INFERMETER_AVX512_BF16 void ScoresHeads(const Bf16* q, const Bf16* const* keys, std::int64_t n,
                                        std::int64_t padded, float scale, float* scores,
                                        std::int64_t score_stride) {
  std::int64_t j = 0;
  for (; j + 2 <= n; j += 2) {
    ScoresBlock<H, 2>(q, keys + j, padded, scale, scores + j, score_stride);
  }
  if (j < n) ScoresBlock<H, 1>(q, keys + j, padded, scale, scores + j, score_stride);
}

// `H` heads, value columns [i, i + 32) (stores masked at `dim`). pp[h * 16 + k] holds the
// BF16 pair (p[2k], p[2k + 1]) of head h. VDPBF16PS sums adjacent BF16 pairs, so two value
// rows are interleaved (unpacklo/hi): within each 128-bit lane that gives columns 0-3 (lo) and
// 4-7 (hi) of each 8, so the accumulators hold columns in that order and are permuted on load
// and store instead of permuting every value load.
template <int H>
INFERMETER_AVX512_BF16 inline void AccumulateBlock(const std::uint32_t* pp,
                                                   const Bf16* const* values, std::int64_t n,
                                                   std::int64_t i, std::int64_t dim,
                                                   const float* rescale, float* acc,
                                                   std::int64_t acc_stride) {
  const __mmask16 m0 = TailMask(dim - i);
  const __mmask16 m1 = TailMask(dim - i - 16);
  const __m512i to_lo = _mm512_set_epi32(27, 26, 25, 24, 19, 18, 17, 16, 11, 10, 9, 8, 3, 2, 1, 0);
  const __m512i to_hi =
      _mm512_set_epi32(31, 30, 29, 28, 23, 22, 21, 20, 15, 14, 13, 12, 7, 6, 5, 4);
  const __m512i from_0 = _mm512_set_epi32(23, 22, 21, 20, 7, 6, 5, 4, 19, 18, 17, 16, 3, 2, 1, 0);
  const __m512i from_1 =
      _mm512_set_epi32(31, 30, 29, 28, 15, 14, 13, 12, 27, 26, 25, 24, 11, 10, 9, 8);
  __m512 a0[H];
  __m512 a1[H];
#pragma GCC unroll 16
  for (int h = 0; h < H; ++h) {
    const __m512 x0 = _mm512_maskz_loadu_ps(m0, acc + h * acc_stride + i);
    const __m512 x1 = _mm512_maskz_loadu_ps(m1, acc + h * acc_stride + i + 16);
    a0[h] = _mm512_permutex2var_ps(x0, to_lo, x1);
    a1[h] = _mm512_permutex2var_ps(x0, to_hi, x1);
    if (rescale != nullptr) {
      const __m512 c = _mm512_set1_ps(rescale[h]);
      a0[h] = _mm512_mul_ps(a0[h], c);
      a1[h] = _mm512_mul_ps(a1[h], c);
    }
  }
  for (std::int64_t j = 0; j < n; j += 2) {
    const __m512i va = _mm512_loadu_si512(values[j] + i);
    // A missing last row of an odd tile reads as zeros (its probability is 0 too).
    const __m512i vb = j + 1 < n ? _mm512_loadu_si512(values[j + 1] + i) : _mm512_setzero_si512();
    const __m512bh v0 = reinterpret_cast<__m512bh>(_mm512_unpacklo_epi16(va, vb));
    const __m512bh v1 = reinterpret_cast<__m512bh>(_mm512_unpackhi_epi16(va, vb));
#pragma GCC unroll 16
    for (int h = 0; h < H; ++h) {
      const __m512bh w =
          reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(pp[h * 16 + j / 2])));
      a0[h] = _mm512_dpbf16_ps(a0[h], w, v0);
      a1[h] = _mm512_dpbf16_ps(a1[h], w, v1);
    }
  }
#pragma GCC unroll 16
  for (int h = 0; h < H; ++h) {
    _mm512_mask_storeu_ps(acc + h * acc_stride + i, m0,
                          _mm512_permutex2var_ps(a0[h], from_0, a1[h]));
    _mm512_mask_storeu_ps(acc + h * acc_stride + i + 16, m1,
                          _mm512_permutex2var_ps(a0[h], from_1, a1[h]));
  }
}

template <int H>
INFERMETER_AVX512_BF16 void AccumulateHeads(const float* p, std::int64_t p_stride,
                                            const Bf16* const* values, std::int64_t n,
                                            std::int64_t dim, const float* rescale, float* acc,
                                            std::int64_t acc_stride) {
  // Probabilities to BF16 pairs once per head: element e of the conversion is bf16(p[e]), so
  // 32-bit lane k is already the pair (p[2k], p[2k + 1]); keys from n on read as 0.
  alignas(64) std::uint32_t pp[H * 16];
#pragma GCC unroll 16
  for (int h = 0; h < H; ++h) {
    _mm512_store_si512(pp + h * 16,
                       reinterpret_cast<__m512i>(Load32AsBf16(p + h * p_stride, 0, n)));
  }
  for (std::int64_t i = 0; i < dim; i += 32) {
    AccumulateBlock<H>(pp, values, n, i, dim, rescale, acc, acc_stride);
  }
}

}  // namespace

bool UseBf16Attention(std::int64_t heads_per_group) {
  return CpuHasAvx512Bf16() && heads_per_group >= kBf16MinHeadsPerGroup;
}

INFERMETER_AVX512_BF16 void PackRowsBf16(const float* x, std::int64_t stride, std::int64_t n,
                                         std::int64_t dim, Bf16* out) {
  const std::int64_t padded = Bf16PaddedDim(dim);
  for (std::int64_t r = 0; r < n; ++r) PackRow(x + r * stride, dim, out + r * padded);
}

INFERMETER_AVX512_BF16 void PackTileBf16(const float* const* rows, std::int64_t offset,
                                         std::int64_t n, std::int64_t dim, Bf16* out) {
  const std::int64_t padded = Bf16PaddedDim(dim);
  for (std::int64_t r = 0; r < n; ++r) PackRow(rows[r] + offset, dim, out + r * padded);
}

INFERMETER_AVX512_BF16 void TileScoresBf16(const Bf16* q, std::int64_t heads,
                                           const Bf16* const* keys, std::int64_t n,
                                           std::int64_t padded, float scale, float* scores,
                                           std::int64_t score_stride) {
  // Eight heads per pass share each key row load; every score is the same 16-lane sum reduced
  // the same way whatever the block, so the blocking never changes a result.
  std::int64_t h = 0;
  for (; h + 8 <= heads; h += 8) {
    ScoresHeads<8>(q + h * padded, keys, n, padded, scale, scores + h * score_stride, score_stride);
  }
  for (; h + 4 <= heads; h += 4) {
    ScoresHeads<4>(q + h * padded, keys, n, padded, scale, scores + h * score_stride, score_stride);
  }
  for (; h < heads; ++h) {
    ScoresHeads<1>(q + h * padded, keys, n, padded, scale, scores + h * score_stride, score_stride);
  }
}

INFERMETER_AVX512_BF16 void TileAccumulateBf16(const float* p, std::int64_t p_stride,
                                               std::int64_t heads, const Bf16* const* values,
                                               std::int64_t n, std::int64_t dim,
                                               const float* rescale, float* acc,
                                               std::int64_t acc_stride) {
  std::int64_t h = 0;
  for (; h + 8 <= heads; h += 8) {
    AccumulateHeads<8>(p + h * p_stride, p_stride, values, n, dim,
                       rescale != nullptr ? rescale + h : nullptr, acc + h * acc_stride,
                       acc_stride);
  }
  for (; h + 4 <= heads; h += 4) {
    AccumulateHeads<4>(p + h * p_stride, p_stride, values, n, dim,
                       rescale != nullptr ? rescale + h : nullptr, acc + h * acc_stride,
                       acc_stride);
  }
  for (; h < heads; ++h) {
    AccumulateHeads<1>(p + h * p_stride, p_stride, values, n, dim,
                       rescale != nullptr ? rescale + h : nullptr, acc + h * acc_stride,
                       acc_stride);
  }
}

INFERMETER_AVX512_BF16 void IndexerTileBf16(const Bf16* q, std::int64_t heads, std::int64_t dim,
                                            const float* w, const Bf16* keys, std::int64_t n,
                                            float* out) {
  // As IndexerTileAvx512: dot products a block of heads at a time, then ReLU and the weighted
  // sum in head order, so a key's score does not depend on its tile.
  constexpr std::int64_t kKeys = 32;
  float dots[8 * kKeys];
  const Bf16* rows[kKeys];
  for (std::int64_t j0 = 0; j0 < n; j0 += kKeys) {
    const std::int64_t nj = std::min(kKeys, n - j0);
    for (std::int64_t j = 0; j < nj; ++j) {
      out[j0 + j] = 0;
      rows[j] = keys + (j0 + j) * dim;
    }
    for (std::int64_t h = 0; h < heads;) {
      const std::int64_t nh = heads - h >= 8 ? 8 : std::min<std::int64_t>(4, heads - h);
      if (nh == 8) {
        ScoresHeads<8>(q + h * dim, rows, nj, dim, 1.0f, dots, kKeys);
      } else if (nh == 4) {
        ScoresHeads<4>(q + h * dim, rows, nj, dim, 1.0f, dots, kKeys);
      } else {
        for (std::int64_t hh = 0; hh < nh; ++hh) {
          ScoresHeads<1>(q + (h + hh) * dim, rows, nj, dim, 1.0f, dots + hh * kKeys, kKeys);
        }
      }
      for (std::int64_t hh = 0; hh < nh; ++hh) {
        const float wh = w[h + hh];
        for (std::int64_t j = 0; j < nj; ++j) {
          out[j0 + j] += wh * std::max(0.0f, dots[hh * kKeys + j]);
        }
      }
      h += nh;
    }
  }
}

}  // namespace infermeter::engines::reference
