#pragma once
// Attention's dot products in BF16 with FP32 accumulation (AVX512_BF16's VDPBF16PS, twice the
// multiply-adds of an FP32 FMA per instruction), as FlashMLA-class kernels compute attention.
// Queries, key tiles and softmax probabilities are rounded to BF16 (round to nearest even);
// the softmax and every accumulator stay FP32. Callers check UseBf16Attention first: these
// functions need the CPU feature.
//
// Query, key and value rows are BF16, Bf16PaddedDim(dim) values each with zeros after dim, so
// the kernels need no tail masks along a row.

#include <cstdint>

#include "kernels/bf16.h"

namespace infermeter::engines::reference {

// Heads per key group below which the FP32 kernels win: the BF16 path rounds every key tile
// once per group, which only pays when several heads share it.
inline constexpr std::int64_t kBf16MinHeadsPerGroup = 4;

// True when the CPU (as capped by LimitKernelIsa) has AVX512_BF16 and the layout shares each
// key among enough heads. Tests force the FP32 path with LimitKernelIsa(KernelIsa::kAvx512).
bool UseBf16Attention(std::int64_t heads_per_group);

inline std::int64_t Bf16PaddedDim(std::int64_t dim) { return (dim + 31) / 32 * 32; }

// out[r * Bf16PaddedDim(dim) + i] = bf16(x[r * stride + i]) for r < n, i < dim; zeros after.
void PackRowsBf16(const float* x, std::int64_t stride, std::int64_t n, std::int64_t dim, Bf16* out);

// As PackRowsBf16 for rows given by pointer (rows[r] + offset).
void PackTileBf16(const float* const* rows, std::int64_t offset, std::int64_t n, std::int64_t dim,
                  Bf16* out);

// scores[h * score_stride + j] = scale * dot(q row h, keys[j]) for h < heads, j < n; each row
// `padded` (Bf16PaddedDim) values, zeros past the dot product's width.
void TileScoresBf16(const Bf16* q, std::int64_t heads, const Bf16* const* keys, std::int64_t n,
                    std::int64_t padded, float scale, float* scores, std::int64_t score_stride);

// acc[h * acc_stride + i] = acc[h * acc_stride + i] * rescale[h]
//                            + sum_j bf16(p[h * p_stride + j]) * values[j][i]
// for h < heads, i < dim (rescale null: 1), n <= 32; each value row readable for
// Bf16PaddedDim(dim) values (columns past dim may hold anything: they are never stored), so a
// key row that starts with its value (V4, MLA absorbed) serves as the value row too.
void TileAccumulateBf16(const float* p, std::int64_t p_stride, std::int64_t heads,
                        const Bf16* const* values, std::int64_t n, std::int64_t dim,
                        const float* rescale, float* acc, std::int64_t acc_stride);

// The lightning indexer's IndexerTile (simd.h) on BF16 queries and keys: out[j] =
// sum_h w[h] * max(0, dot(q + h * dim, keys + j * dim)) for j < n, dim a multiple of 32.
void IndexerTileBf16(const Bf16* q, std::int64_t heads, std::int64_t dim, const float* w,
                     const Bf16* keys, std::int64_t n, float* out);

}  // namespace infermeter::engines::reference
