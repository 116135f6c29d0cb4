#pragma once
// The one matmul the engine uses: y[M,N] = x[M,K] * W^T with W an N x K BF16 matrix (row n holds
// output n's weights, the PyTorch nn.Linear layout), activations converted to BF16, FP32
// accumulation and FP32 output. Large M goes through oneDNN's BF16 matmul (weights reordered
// once, at construction, into oneDNN's blocked layout); small M (decode) through a hand-written
// GEMV that streams the weights once. FLOPs are not counted here: callers count 2*M*N*K against
// their op class.

#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "kernels/bf16.h"

namespace infermeter::engines::reference {

class Bf16Matrix {
 public:
  Bf16Matrix();
  // `values` is row-major rows x cols.
  Bf16Matrix(std::int64_t rows, std::int64_t cols, std::vector<Bf16> values);
  Bf16Matrix(Bf16Matrix&&) noexcept;
  Bf16Matrix& operator=(Bf16Matrix&&) noexcept;
  ~Bf16Matrix();

  std::int64_t rows() const { return rows_; }  // N: outputs
  std::int64_t cols() const { return cols_; }  // K: inputs
  bool empty() const { return rows_ == 0; }
  // Row-major values as given (kept for GEMV and tests).
  const Bf16* data() const { return values_.data(); }
  std::int64_t bytes() const { return rows_ * cols_ * 2; }

  struct Prepared;  // oneDNN primitive and reordered weights (gemm.cpp)
  Prepared* prepared() const { return prepared_.get(); }

 private:
  std::int64_t rows_ = 0;
  std::int64_t cols_ = 0;
  std::vector<Bf16> values_;
  std::unique_ptr<Prepared> prepared_;
};

// y = x * W^T (accumulate == false) or y += x * W^T. x is M x K row-major with row stride
// ldx (>= K); y is M x N with row stride ldy (>= N). Runs on the calling thread's OpenMP team.
// On either kernel a row's result depends only on its own x row, bit for bit, never on M or
// the other rows; the two kernels sum in different orders, so their results differ in the last
// bits. Throws infermeter::Error for strides below the matrix's shape.
void MatMul(const float* x, std::int64_t m, std::int64_t ldx, const Bf16Matrix& w, float* y,
            std::int64_t ldy, bool accumulate = false);
inline void MatMul(const float* x, std::int64_t m, const Bf16Matrix& w, float* y) {
  MatMul(x, m, w.cols(), w, y, w.rows());
}

// Which kernel MatMul uses: kAuto picks by M (GEMV up to MatMulGemvMaxRows() rows, oneDNN
// above). Tests and benchmarks force one to check or time both.
enum class MatMulPath { kAuto, kGemv, kOneDnn };
void MatMulVia(MatMulPath path, const float* x, std::int64_t m, std::int64_t ldx,
               const Bf16Matrix& w, float* y, std::int64_t ldy, bool accumulate);
std::int64_t MatMulGemvMaxRows();

// One product of a MatMulGroup: y (+)= x * W^T with MatMul's arguments.
struct MatMulTask {
  const float* x = nullptr;
  std::int64_t m = 0;
  std::int64_t ldx = 0;
  const Bf16Matrix* w = nullptr;
  float* y = nullptr;
  std::int64_t ldy = 0;
  bool accumulate = false;
};
// Independent products, each with exactly the bits MatMulVia(path, ...) gives it. Those that
// take the GEMV share one pass of the OpenMP team, the weights of all of them split evenly
// across its threads, so that many small matrices (a layer's experts at decode: 256 KB each in
// v4-mini) stream like one large one instead of each paying a fork, a join and a prefetcher
// ramp-up. No task's y may overlap another task's x.
void MatMulGroup(MatMulPath path, std::span<const MatMulTask> tasks);
// oneDNN's name for the kernel it runs for `w` ("brg:avx512_core_bf16"), empty for an empty
// matrix: a reader can tell a native BF16 kernel from an emulated one.
std::string MatMulOneDnnImpl(const Bf16Matrix& w);
// oneDNN's names for every kernel MatMul has run so far (one primitive per row count and
// shape): tests check that none is its slow reference loop ("ref:any").
std::set<std::string> MatMulOneDnnKernelsUsed();

}  // namespace infermeter::engines::reference
