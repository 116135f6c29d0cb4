#pragma once
// The small-M half of MatMul (gemm.h): y[M,N] (+)= x[M,K] * W^T for a few rows of x, streaming
// the N x K BF16 weights once for all of them. Decode is memory-bound, so what matters is that
// every weight byte is read once, by a core that converts it in registers, with all cores busy.
// Activations are rounded to BF16 first, exactly as the oneDNN path does, so both paths compute
// the same products and differ only in summation order.

#include <cstdint>
#include <span>

#include "kernels/bf16.h"

namespace infermeter::engines::reference {

// Rows of x handled in one pass over the weights; larger M loops over such passes.
inline constexpr std::int64_t kGemvRowsPerPass = 4;

void Gemv(const float* x, std::int64_t m, std::int64_t ldx, const Bf16* w, std::int64_t n,
          std::int64_t k, float* y, std::int64_t ldy, bool accumulate);

// One product of a group: y (+)= x * W^T, W an n x k row-major BF16 matrix.
struct GemvProblem {
  const float* x = nullptr;
  std::int64_t m = 0;
  std::int64_t ldx = 0;
  const Bf16* w = nullptr;
  std::int64_t n = 0;
  std::int64_t k = 0;
  float* y = nullptr;
  std::int64_t ldy = 0;
  bool accumulate = false;
};

// Independent products in one pass of the OpenMP team, the weights of all of them split evenly
// across its threads. Each output gets exactly the bits Gemv would give it. No y may overlap
// another problem's x.
void GemvGroup(std::span<const GemvProblem> problems);

}  // namespace infermeter::engines::reference
