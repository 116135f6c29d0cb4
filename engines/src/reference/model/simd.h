#pragma once
// The model's own inner loops: attention tiles, indexer scores, and a matmul that keeps its
// activations in fp32. Each has an AVX-512 version (chosen at run time, like the kernels'
// GEMV) and a portable one; the build targets baseline x86-64, so the portable loops alone
// would run 4 floats wide.

#include <cstdint>

#include "kernels/bf16.h"

namespace infermeter::engines::reference {

// scores[h * score_stride + j] = scale * dot(q + h * q_stride, rows[j] + offset, dim)
// for h < heads, j < n. Key rows are given by pointer, so a tile can gather them from anywhere.
void TileScores(const float* q, std::int64_t q_stride, std::int64_t heads, const float* const* rows,
                std::int64_t offset, std::int64_t n, std::int64_t dim, float scale, float* scores,
                std::int64_t score_stride);

// acc[h * acc_stride + i] = acc[h * acc_stride + i] * rescale[h]
//                            + sum_j p[h * p_stride + j] * (rows[j] + offset)[i]
// for h < heads, i < dim (rescale null: 1). The rescale (online softmax's correction to a new
// running max) is applied as the accumulators are loaded, saving a pass over them; it rounds
// exactly as a separate multiply would.
void TileAccumulate(const float* p, std::int64_t p_stride, std::int64_t heads,
                    const float* const* rows, std::int64_t offset, std::int64_t n, std::int64_t dim,
                    const float* rescale, float* acc, std::int64_t acc_stride);

// One head's online-softmax step over a tile of n <= 32 scores: new max M = max(*m, s[0..n)),
// s[j] = exp(s[j] - M), *l = *l * c + sum_j s[j], *m = M; returns c = exp(old *m - M), the
// factor for what was accumulated before. The AVX-512 exp is a degree-6 polynomial (~2 ulp).
float SoftmaxTile(float* s, std::int64_t n, float* m, float* l);

// out[j] = sum_h w[h] * max(0, dot(q + h * dim, keys + j * dim, dim)) for j < n: the
// lightning indexer's score of n keys for one query.
void IndexerTile(const float* q, std::int64_t heads, std::int64_t dim, const float* w,
                 const float* keys, std::int64_t n, float* out);

// y[M, N] = x[M, K] * W^T with W an N x K row-major BF16 matrix, x kept in fp32 (MatMul rounds
// it to BF16). Used where two equivalent computations must agree closely: MLA's absorbed and
// expanded forms. Runs on the calling thread's OpenMP team.
void MatMulF32(const float* x, std::int64_t m, std::int64_t ldx, const Bf16* w, std::int64_t n,
               std::int64_t k, float* y, std::int64_t ldy);

}  // namespace infermeter::engines::reference
