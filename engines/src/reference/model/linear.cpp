#include <algorithm>
#include <vector>

#include "model/forward_context.h"
#include "model/simd.h"

namespace infermeter::engines::reference {

void Linear(const float* x, std::int64_t m, std::int64_t ldx, const Bf16Matrix& w, float* y,
            std::int64_t ldy, OpClass op_class, FlopsByOpClass& flops, MatMulPath path) {
  if (m == 0) return;
  const std::int64_t n = w.rows();
  if (path == MatMulPath::kAuto) {
    path = m <= MatMulGemvMaxRows() ? MatMulPath::kGemv : MatMulPath::kOneDnn;
  }
  if (ldy == n || path == MatMulPath::kGemv) {
    MatMulVia(path, x, m, ldx, w, y, ldy, false);
  } else {
    // oneDNN 2.6 falls back to its reference kernel (hundreds of times slower) when the output
    // rows are strided, so multiply into a dense buffer and copy the rows into place.
    thread_local std::vector<float> dense;
    if (dense.size() < static_cast<std::size_t>(m * n))
      dense.resize(static_cast<std::size_t>(m * n));
    float* staged = dense.data();  // thread_local: name it before the parallel region
    MatMulVia(path, x, m, ldx, w, staged, n, false);
#pragma omp parallel for schedule(static) if (m > 64)
    for (std::int64_t r = 0; r < m; ++r) {
      std::copy(staged + r * n, staged + (r + 1) * n, y + r * ldy);
    }
  }
  AddFlops(flops, op_class,
           2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(w.cols()));
}

void LinearF32(const float* x, std::int64_t m, std::int64_t ldx, const Bf16Matrix& w, float* y,
               std::int64_t ldy, OpClass op_class, FlopsByOpClass& flops) {
  if (m == 0) return;
  MatMulF32(x, m, ldx, w.data(), w.rows(), w.cols(), y, ldy);
  AddFlops(
      flops, op_class,
      2.0 * static_cast<double>(m) * static_cast<double>(w.rows()) * static_cast<double>(w.cols()));
}

}  // namespace infermeter::engines::reference
