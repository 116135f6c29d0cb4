#include "model/simd.h"

// GCC 12's AVX-512 headers make masked loads and setzero look "used uninitialized" once inlined
// at -O3 (GCC bug 105593); the values are never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu_features.h"
#include "model/simd_avx512.h"

namespace infermeter::engines::reference {
namespace {

// ---- portable -------------------------------------------------------------------------------

float DotPortable(const float* a, const float* b, std::int64_t n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (std::int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void TileScoresPortable(const float* q, std::int64_t q_stride, std::int64_t heads,
                        const float* const* rows, std::int64_t offset, std::int64_t n,
                        std::int64_t dim, float scale, float* scores, std::int64_t score_stride) {
  for (std::int64_t j = 0; j < n; ++j) {
    for (std::int64_t h = 0; h < heads; ++h) {
      scores[h * score_stride + j] = scale * DotPortable(q + h * q_stride, rows[j] + offset, dim);
    }
  }
}

void TileAccumulatePortable(const float* p, std::int64_t p_stride, std::int64_t heads,
                            const float* const* rows, std::int64_t offset, std::int64_t n,
                            std::int64_t dim, const float* rescale, float* acc,
                            std::int64_t acc_stride) {
  if (rescale != nullptr) {
    for (std::int64_t h = 0; h < heads; ++h) {
      if (rescale[h] == 1.0f) continue;
      float* a = acc + h * acc_stride;
      for (std::int64_t i = 0; i < dim; ++i) a[i] *= rescale[h];
    }
  }
  for (std::int64_t j = 0; j < n; ++j) {
    const float* v = rows[j] + offset;
    for (std::int64_t h = 0; h < heads; ++h) {
      const float w = p[h * p_stride + j];
      float* a = acc + h * acc_stride;
#pragma omp simd
      for (std::int64_t i = 0; i < dim; ++i) a[i] += w * v[i];
    }
  }
}

float SoftmaxTilePortable(float* s, std::int64_t n, float* m, float* l) {
  float tile_max = s[0];
  for (std::int64_t j = 1; j < n; ++j) tile_max = std::max(tile_max, s[j]);
  const float new_max = std::max(*m, tile_max);
  const float correction = std::exp(*m - new_max);  // 0 on the first tile
  float sum = 0;
  for (std::int64_t j = 0; j < n; ++j) {
    s[j] = std::exp(s[j] - new_max);
    sum += s[j];
  }
  *l = *l * correction + sum;
  *m = new_max;
  return correction;
}

void IndexerTilePortable(const float* q, std::int64_t heads, std::int64_t dim, const float* w,
                         const float* keys, std::int64_t n, float* out) {
  for (std::int64_t j = 0; j < n; ++j) {
    float sum = 0;
    for (std::int64_t h = 0; h < heads; ++h) {
      sum += w[h] * std::max(0.0f, DotPortable(q + h * dim, keys + j * dim, dim));
    }
    out[j] = sum;
  }
}

void MatMulF32Portable(const float* x, std::int64_t m, std::int64_t ldx, const Bf16* w,
                       std::int64_t n, std::int64_t k, float* y, std::int64_t ldy) {
#pragma omp parallel for schedule(static) collapse(2) if (m * n * k > 65536)
  for (std::int64_t r = 0; r < m; ++r) {
    for (std::int64_t o = 0; o < n; ++o) {
      const Bf16* row = w + o * k;
      const float* xr = x + r * ldx;
      float s = 0;
#pragma omp simd reduction(+ : s)
      for (std::int64_t i = 0; i < k; ++i) s += xr[i] * ToFloat(row[i]);
      y[r * ldy + o] = s;
    }
  }
}

// ---- AVX-512 --------------------------------------------------------------------------------

using avx512::Reduce16;
using avx512::TailMask;

// exp(x) for x <= 0 (larger x is clamped at 88): x = t * ln2 + r with |r| <= ln2 / 2, exp(r)
// by its Taylor polynomial to degree 6 (error < 2e-7 relative), times 2^t by VSCALEFPS, which
// also underflows cleanly to 0 for very negative x.
INFERMETER_AVX512 inline __m512 ExpAvx512(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)), _mm512_set1_ps(88.0f));
  const __m512 t = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(t, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(t, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, t);
}

INFERMETER_AVX512 float SoftmaxTileAvx512(float* s, std::int64_t n, float* m, float* l) {
  const __mmask16 m0 = TailMask(n);
  const __mmask16 m1 = TailMask(n - 16);
  const __m512 lowest = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 s0 = _mm512_mask_loadu_ps(lowest, m0, s);
  __m512 s1 = _mm512_mask_loadu_ps(lowest, m1, s + 16);
  const float new_max = std::max(*m, _mm512_reduce_max_ps(_mm512_max_ps(s0, s1)));
  const float correction = std::exp(*m - new_max);  // 0 on the first tile
  const __m512 shift = _mm512_set1_ps(new_max);
  s0 = _mm512_maskz_mov_ps(m0, ExpAvx512(_mm512_sub_ps(s0, shift)));
  s1 = _mm512_maskz_mov_ps(m1, ExpAvx512(_mm512_sub_ps(s1, shift)));
  _mm512_mask_storeu_ps(s, m0, s0);
  _mm512_mask_storeu_ps(s + 16, m1, s1);
  *l = *l * correction + _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  *m = new_max;
  return correction;
}

// `H` heads against `J` key rows: H * J dot products of length dim.
template <int H, int J>
INFERMETER_AVX512 inline void ScoresBlock(const float* q, std::int64_t q_stride,
                                          const float* const* rows, std::int64_t offset,
                                          std::int64_t dim, float scale, float* scores,
                                          std::int64_t score_stride) {
  __m512 acc[H][J];
#pragma GCC unroll 16
  for (int h = 0; h < H; ++h) {
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) acc[h][j] = _mm512_setzero_ps();
  }
  for (std::int64_t i = 0; i < dim; i += 16) {
    const __mmask16 mask = TailMask(dim - i);
    __m512 kv[J];
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) kv[j] = _mm512_maskz_loadu_ps(mask, rows[j] + offset + i);
#pragma GCC unroll 16
    for (int h = 0; h < H; ++h) {
      const __m512 qv = _mm512_maskz_loadu_ps(mask, q + h * q_stride + i);
#pragma GCC unroll 16
      for (int j = 0; j < J; ++j) acc[h][j] = _mm512_fmadd_ps(qv, kv[j], acc[h][j]);
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
INFERMETER_AVX512 void ScoresHeads(const float* q, std::int64_t q_stride, const float* const* rows,
                                   std::int64_t offset, std::int64_t n, std::int64_t dim,
                                   float scale, float* scores, std::int64_t score_stride) {
  std::int64_t j = 0;
  for (; j + 2 <= n; j += 2) {
    ScoresBlock<H, 2>(q, q_stride, rows + j, offset, dim, scale, scores + j, score_stride);
  }
  if (j < n) ScoresBlock<H, 1>(q, q_stride, rows + j, offset, dim, scale, scores + j, score_stride);
}

INFERMETER_AVX512 void TileScoresAvx512(const float* q, std::int64_t q_stride, std::int64_t heads,
                                        const float* const* rows, std::int64_t offset,
                                        std::int64_t n, std::int64_t dim, float scale,
                                        float* scores, std::int64_t score_stride) {
  // Eight heads per pass read each key row once for all of V4's / MLA's heads; four as the
  // fallback. Every score is the same 16-lane sum reduced the same way, whatever the block.
  std::int64_t h = 0;
  for (; h + 8 <= heads; h += 8) {
    ScoresHeads<8>(q + h * q_stride, q_stride, rows, offset, n, dim, scale,
                   scores + h * score_stride, score_stride);
  }
  for (; h + 4 <= heads; h += 4) {
    ScoresHeads<4>(q + h * q_stride, q_stride, rows, offset, n, dim, scale,
                   scores + h * score_stride, score_stride);
  }
  for (; h < heads; ++h) {
    ScoresHeads<1>(q + h * q_stride, q_stride, rows, offset, n, dim, scale,
                   scores + h * score_stride, score_stride);
  }
}

// `H` heads, 32 value columns [i, i + 32) (masked at the end).
template <int H>
INFERMETER_AVX512 inline void AccumulateBlock(const float* p, std::int64_t p_stride,
                                              const float* const* rows, std::int64_t offset,
                                              std::int64_t n, std::int64_t i, std::int64_t dim,
                                              const float* rescale, float* acc,
                                              std::int64_t acc_stride) {
  const __mmask16 m0 = TailMask(dim - i);
  const __mmask16 m1 = dim - i > 16 ? TailMask(dim - i - 16) : static_cast<__mmask16>(0);
  __m512 a0[H];
  __m512 a1[H];
#pragma GCC unroll 16
  for (int h = 0; h < H; ++h) {
    a0[h] = _mm512_maskz_loadu_ps(m0, acc + h * acc_stride + i);
    a1[h] = _mm512_maskz_loadu_ps(m1, acc + h * acc_stride + i + 16);
    if (rescale != nullptr) {
      const __m512 c = _mm512_set1_ps(rescale[h]);
      a0[h] = _mm512_mul_ps(a0[h], c);
      a1[h] = _mm512_mul_ps(a1[h], c);
    }
  }
  for (std::int64_t j = 0; j < n; ++j) {
    const float* v = rows[j] + offset + i;
    const __m512 v0 = _mm512_maskz_loadu_ps(m0, v);
    const __m512 v1 = _mm512_maskz_loadu_ps(m1, v + 16);
#pragma GCC unroll 16
    for (int h = 0; h < H; ++h) {
      const __m512 w = _mm512_set1_ps(p[h * p_stride + j]);
      a0[h] = _mm512_fmadd_ps(w, v0, a0[h]);
      a1[h] = _mm512_fmadd_ps(w, v1, a1[h]);
    }
  }
#pragma GCC unroll 16
  for (int h = 0; h < H; ++h) {
    _mm512_mask_storeu_ps(acc + h * acc_stride + i, m0, a0[h]);
    _mm512_mask_storeu_ps(acc + h * acc_stride + i + 16, m1, a1[h]);
  }
}

INFERMETER_AVX512 void TileAccumulateAvx512(const float* p, std::int64_t p_stride,
                                            std::int64_t heads, const float* const* rows,
                                            std::int64_t offset, std::int64_t n, std::int64_t dim,
                                            const float* rescale, float* acc,
                                            std::int64_t acc_stride) {
  // As in the scores, eight heads share each value row load; the per-element order of the
  // multiply-adds (key by key) does not depend on the block.
  std::int64_t h = 0;
  for (; h + 8 <= heads; h += 8) {
    for (std::int64_t i = 0; i < dim; i += 32) {
      AccumulateBlock<8>(p + h * p_stride, p_stride, rows, offset, n, i, dim,
                         rescale != nullptr ? rescale + h : nullptr, acc + h * acc_stride,
                         acc_stride);
    }
  }
  for (; h + 4 <= heads; h += 4) {
    for (std::int64_t i = 0; i < dim; i += 32) {
      AccumulateBlock<4>(p + h * p_stride, p_stride, rows, offset, n, i, dim,
                         rescale != nullptr ? rescale + h : nullptr, acc + h * acc_stride,
                         acc_stride);
    }
  }
  for (; h < heads; ++h) {
    for (std::int64_t i = 0; i < dim; i += 32) {
      AccumulateBlock<1>(p + h * p_stride, p_stride, rows, offset, n, i, dim,
                         rescale != nullptr ? rescale + h : nullptr, acc + h * acc_stride,
                         acc_stride);
    }
  }
}

INFERMETER_AVX512 void IndexerTileAvx512(const float* q, std::int64_t heads, std::int64_t dim,
                                         const float* w, const float* keys, std::int64_t n,
                                         float* out) {
  // Dot products a block of heads at a time, then ReLU and the weighted sum.
  constexpr std::int64_t kKeys = 32;
  float dots[8 * kKeys];
  const float* rows[kKeys];
  for (std::int64_t j0 = 0; j0 < n; j0 += kKeys) {
    const std::int64_t nj = std::min(kKeys, n - j0);
    for (std::int64_t j = 0; j < nj; ++j) {
      out[j0 + j] = 0;
      rows[j] = keys + (j0 + j) * dim;
    }
    for (std::int64_t h = 0; h < heads;) {
      const std::int64_t nh = heads - h >= 8 ? 8 : std::min<std::int64_t>(4, heads - h);
      if (nh == 8) {
        ScoresHeads<8>(q + h * dim, dim, rows, 0, nj, dim, 1.0f, dots, kKeys);
      } else if (nh == 4) {
        ScoresHeads<4>(q + h * dim, dim, rows, 0, nj, dim, 1.0f, dots, kKeys);
      } else {
        for (std::int64_t hh = 0; hh < nh; ++hh) {
          ScoresHeads<1>(q + (h + hh) * dim, dim, rows, 0, nj, dim, 1.0f, dots + hh * kKeys, kKeys);
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

INFERMETER_AVX512 inline __m512 LoadBf16(const Bf16* p, __mmask16 mask) {
  const __m256i raw = _mm256_maskz_loadu_epi16(mask, p);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
}

// R rows of x against O rows of W.
template <int R, int O>
INFERMETER_AVX512 inline void F32Block(const float* x, std::int64_t ldx, const Bf16* w,
                                       std::int64_t k, float* y, std::int64_t ldy) {
  __m512 acc[R][O];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int o = 0; o < O; ++o) acc[r][o] = _mm512_setzero_ps();
  }
  for (std::int64_t i = 0; i < k; i += 16) {
    const __mmask16 mask = TailMask(k - i);
    __m512 xv[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) xv[r] = _mm512_maskz_loadu_ps(mask, x + r * ldx + i);
#pragma GCC unroll 16
    for (int o = 0; o < O; ++o) {
      const __m512 wv = LoadBf16(w + o * k + i, mask);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) acc[r][o] = _mm512_fmadd_ps(xv[r], wv, acc[r][o]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int o = 0; o < O; ++o) y[r * ldy + o] = _mm512_reduce_add_ps(acc[r][o]);
  }
}

template <int R>
INFERMETER_AVX512 void F32Rows(const float* x, std::int64_t ldx, const Bf16* w,
                               std::int64_t o_begin, std::int64_t o_end, std::int64_t k, float* y,
                               std::int64_t ldy) {
  std::int64_t o = o_begin;
  for (; o + 4 <= o_end; o += 4) F32Block<R, 4>(x, ldx, w + o * k, k, y + o, ldy);
  for (; o < o_end; ++o) F32Block<R, 1>(x, ldx, w + o * k, k, y + o, ldy);
}

INFERMETER_AVX512 void MatMulF32Avx512(const float* x, std::int64_t m, std::int64_t ldx,
                                       const Bf16* w, std::int64_t n, std::int64_t k, float* y,
                                       std::int64_t ldy) {
  // Tasks: 4 rows x 64 outputs; the 64 weight rows (64 * k * 2 bytes) stay in L2 across the
  // row blocks of a column of tasks.
  constexpr std::int64_t kOut = 64;
  const std::int64_t row_blocks = (m + 3) / 4;
  const std::int64_t out_blocks = (n + kOut - 1) / kOut;
#pragma omp parallel for schedule(static) if (m * n * k > 65536)
  for (std::int64_t task = 0; task < row_blocks * out_blocks; ++task) {
    const std::int64_t ob = task / row_blocks;
    const std::int64_t rb = task % row_blocks;
    const std::int64_t r = rb * 4;
    const std::int64_t o0 = ob * kOut;
    const std::int64_t o1 = std::min(n, o0 + kOut);
    const float* xr = x + r * ldx;
    float* yr = y + r * ldy;
    switch (std::min<std::int64_t>(4, m - r)) {
      case 4:
        F32Rows<4>(xr, ldx, w, o0, o1, k, yr, ldy);
        break;
      case 3:
        F32Rows<3>(xr, ldx, w, o0, o1, k, yr, ldy);
        break;
      case 2:
        F32Rows<2>(xr, ldx, w, o0, o1, k, yr, ldy);
        break;
      default:
        F32Rows<1>(xr, ldx, w, o0, o1, k, yr, ldy);
        break;
    }
  }
}

}  // namespace

void TileScores(const float* q, std::int64_t q_stride, std::int64_t heads, const float* const* rows,
                std::int64_t offset, std::int64_t n, std::int64_t dim, float scale, float* scores,
                std::int64_t score_stride) {
  if (CpuHasAvx512()) {
    TileScoresAvx512(q, q_stride, heads, rows, offset, n, dim, scale, scores, score_stride);
  } else {
    TileScoresPortable(q, q_stride, heads, rows, offset, n, dim, scale, scores, score_stride);
  }
}

void TileAccumulate(const float* p, std::int64_t p_stride, std::int64_t heads,
                    const float* const* rows, std::int64_t offset, std::int64_t n, std::int64_t dim,
                    const float* rescale, float* acc, std::int64_t acc_stride) {
  if (CpuHasAvx512()) {
    TileAccumulateAvx512(p, p_stride, heads, rows, offset, n, dim, rescale, acc, acc_stride);
  } else {
    TileAccumulatePortable(p, p_stride, heads, rows, offset, n, dim, rescale, acc, acc_stride);
  }
}

float SoftmaxTile(float* s, std::int64_t n, float* m, float* l) {
  if (CpuHasAvx512()) return SoftmaxTileAvx512(s, n, m, l);
  return SoftmaxTilePortable(s, n, m, l);
}

void IndexerTile(const float* q, std::int64_t heads, std::int64_t dim, const float* w,
                 const float* keys, std::int64_t n, float* out) {
  if (CpuHasAvx512()) {
    IndexerTileAvx512(q, heads, dim, w, keys, n, out);
  } else {
    IndexerTilePortable(q, heads, dim, w, keys, n, out);
  }
}

void MatMulF32(const float* x, std::int64_t m, std::int64_t ldx, const Bf16* w, std::int64_t n,
               std::int64_t k, float* y, std::int64_t ldy) {
  if (m <= 0 || n <= 0) return;
  if (CpuHasAvx512()) {
    MatMulF32Avx512(x, m, ldx, w, n, k, y, ldy);
  } else {
    MatMulF32Portable(x, m, ldx, w, n, k, y, ldy);
  }
}

}  // namespace infermeter::engines::reference
