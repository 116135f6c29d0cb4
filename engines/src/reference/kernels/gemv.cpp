#include "kernels/gemv.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels/cpu_features.h"

// GCC 12 reports its own AVX-512 intrinsics (which start from _mm512_undefined_*) as "may be
// used uninitialized" once inlined at -O3 (GCC bug 105593); the values are never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace infermeter::engines::reference {
namespace {

// Accumulators per x row along K. The same for every number of x rows, so that an output's
// summation order, and so its bits, never depend on how many rows share the call (a sequence
// decodes to the same tokens alone or in a batch).
constexpr int kU = 2;

// Below this many weights the OpenMP fork/join costs more than a second core saves.
constexpr std::int64_t kParallelMinWeights = 64 * 1024;

// x rows rounded to BF16, in the form each kernel reads them: BF16 for VDPBF16PS, FP32 holding
// BF16 values otherwise. One per thread: MatMul runs on one thread per engine.
struct GemvScratch {
  std::vector<Bf16> bf16;
  std::vector<float> f32;
};
GemvScratch& Scratch() {
  thread_local GemvScratch scratch;
  return scratch;
}

inline void Store(float* y, float value, bool accumulate) {
  if (accumulate) {
    *y += value;
  } else {
    *y = value;
  }
}

// Portable path: FP32 products of BF16-rounded values, 8 partial sums per row so the compiler
// may vectorise without reassociating a single sum.
template <int kX>
void RowsScalar(const float* x, std::int64_t k, const Bf16* w, std::int64_t rows, float* y,
                std::int64_t ldy, bool accumulate) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const Bf16* wr = w + r * k;
    for (int i = 0; i < kX; ++i) {
      const float* xi = x + i * k;
      float partial[8] = {};
      std::int64_t j = 0;
      for (; j + 8 <= k; j += 8) {
        for (int l = 0; l < 8; ++l) partial[l] += ToFloat(wr[j + l]) * xi[j + l];
      }
      float sum = 0;
      for (; j < k; ++j) sum += ToFloat(wr[j]) * xi[j];
      for (float p : partial) sum += p;
      Store(y + i * ldy + r, sum, accumulate);
    }
  }
}

// AVX-512 without BF16 instructions: widen 16 weights to FP32 in registers and FMA.
// Weight rows are read one after another, front to back, so each thread's weights form one
// sequential stream, which is what the hardware prefetchers follow best (interleaving 4 rows
// halved the bandwidth). kU accumulators per x row along K hide most of the FMA latency; the
// loop is memory-bound at one x row and compute-bound from about four.
template <int kX>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void RowsAvx512(const float* x, std::int64_t k,
                                                                     const Bf16* w,
                                                                     std::int64_t rows, float* y,
                                                                     std::int64_t ldy,
                                                                     bool accumulate) {
  constexpr std::int64_t kStep = 16;
  const auto tail = static_cast<__mmask16>((1u << (k % kStep)) - 1);
  for (std::int64_t r = 0; r < rows; ++r) {
    const Bf16* wr = w + r * k;
    __m512 acc[kX][kU];
    for (auto& row : acc) {
      for (auto& a : row) a = _mm512_setzero_ps();
    }
    std::int64_t j = 0;
    for (; j + kStep * kU <= k; j += kStep * kU) {
      for (int u = 0; u < kU; ++u) {
        const __m256i half =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr + j + kStep * u));
        const __m512 wv = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
        for (int i = 0; i < kX; ++i) {
          acc[i][u] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + i * k + j + kStep * u), acc[i][u]);
        }
      }
    }
    for (; j < k; j += kStep) {
      const __mmask16 mask = j + kStep <= k ? __mmask16{0xffff} : tail;
      const __m256i half = _mm256_maskz_loadu_epi16(mask, wr + j);
      const __m512 wv = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
      for (int i = 0; i < kX; ++i) {
        acc[i][0] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(mask, x + i * k + j), acc[i][0]);
      }
    }
    for (int i = 0; i < kX; ++i) {
      for (int u = 1; u < kU; ++u) acc[i][0] = _mm512_add_ps(acc[i][0], acc[i][u]);
      Store(y + i * ldy + r, _mm512_reduce_add_ps(acc[i][0]), accumulate);
    }
  }
}

// AVX512_BF16: VDPBF16PS multiplies 32 BF16 pairs and adds them into 16 FP32 lanes, so the
// weights need no widening at all. Same row order and accumulators as RowsAvx512.
template <int kX>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void RowsAvx512Bf16(
    const Bf16* x, std::int64_t k, const Bf16* w, std::int64_t rows, float* y, std::int64_t ldy,
    bool accumulate) {
  constexpr std::int64_t kStep = 32;
  const auto tail = static_cast<__mmask32>((std::uint64_t{1} << (k % kStep)) - 1);
  for (std::int64_t r = 0; r < rows; ++r) {
    const Bf16* wr = w + r * k;
    __m512 acc[kX][kU];
    for (auto& row : acc) {
      for (auto& a : row) a = _mm512_setzero_ps();
    }
    std::int64_t j = 0;
    for (; j + kStep * kU <= k; j += kStep * kU) {
      for (int u = 0; u < kU; ++u) {
        const auto wv = reinterpret_cast<__m512bh>(_mm512_loadu_si512(wr + j + kStep * u));
        for (int i = 0; i < kX; ++i) {
          const auto xv = reinterpret_cast<__m512bh>(_mm512_loadu_si512(x + i * k + j + kStep * u));
          acc[i][u] = _mm512_dpbf16_ps(acc[i][u], wv, xv);
        }
      }
    }
    for (; j < k; j += kStep) {
      const __mmask32 mask = j + kStep <= k ? __mmask32{0xffffffffu} : tail;
      const auto wv = reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi16(mask, wr + j));
      for (int i = 0; i < kX; ++i) {
        const auto xv = reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi16(mask, x + i * k + j));
        acc[i][0] = _mm512_dpbf16_ps(acc[i][0], wv, xv);
      }
    }
    for (int i = 0; i < kX; ++i) {
      for (int u = 1; u < kU; ++u) acc[i][0] = _mm512_add_ps(acc[i][0], acc[i][u]);
      Store(y + i * ldy + r, _mm512_reduce_add_ps(acc[i][0]), accumulate);
    }
  }
}

// Weight rows [r0, r0 + rows) against kX x rows, on the given instruction set.
template <int kX>
void Rows(KernelIsa isa, const Bf16* xb, const float* xf, const Bf16* w, std::int64_t k,
          std::int64_t r0, std::int64_t rows, float* y, std::int64_t ldy, bool accumulate) {
  switch (isa) {
    case KernelIsa::kAvx512Bf16:
      RowsAvx512Bf16<kX>(xb, k, w + r0 * k, rows, y + r0, ldy, accumulate);
      break;
    case KernelIsa::kAvx512:
      RowsAvx512<kX>(xf, k, w + r0 * k, rows, y + r0, ldy, accumulate);
      break;
    case KernelIsa::kScalar:
      RowsScalar<kX>(xf, k, w + r0 * k, rows, y + r0, ldy, accumulate);
      break;
  }
}

// One pass of kX x rows over all N weight rows. Each thread of the team takes one contiguous
// range of rows, so that it streams one long run of memory: dynamic chunks of 32-256 KB cost
// 10-25% of the bandwidth on a 2-core Zen 4, the prefetchers restarting at every chunk.
template <int kX>
void Pass(KernelIsa isa, const Bf16* xb, const float* xf, const Bf16* w, std::int64_t n,
          std::int64_t k, float* y, std::int64_t ldy, bool accumulate) {
  if (n * k < kParallelMinWeights) {
    Rows<kX>(isa, xb, xf, w, k, 0, n, y, ldy, accumulate);
    return;
  }
#pragma omp parallel
  {
    const std::int64_t threads = omp_get_num_threads();
    const std::int64_t thread = omp_get_thread_num();
    const std::int64_t first = n * thread / threads;
    const std::int64_t last = n * (thread + 1) / threads;
    if (first < last) Rows<kX>(isa, xb, xf, w, k, first, last - first, y, ldy, accumulate);
  }
}

}  // namespace

void Gemv(const float* x, std::int64_t m, std::int64_t ldx, const Bf16* w, std::int64_t n,
          std::int64_t k, float* y, std::int64_t ldy, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  const KernelIsa isa = ActiveKernelIsa();
  GemvScratch& scratch = Scratch();
  const auto pass_elements = static_cast<std::size_t>(kGemvRowsPerPass * k);
  if (scratch.bf16.size() < pass_elements) scratch.bf16.resize(pass_elements);
  if (isa != KernelIsa::kAvx512Bf16 && scratch.f32.size() < pass_elements) {
    scratch.f32.resize(pass_elements);
  }
  for (std::int64_t i0 = 0; i0 < m; i0 += kGemvRowsPerPass) {
    const std::int64_t rows = std::min(kGemvRowsPerPass, m - i0);
    for (std::int64_t i = 0; i < rows; ++i) {
      ConvertToBf16(x + (i0 + i) * ldx, scratch.bf16.data() + i * k, static_cast<std::size_t>(k));
    }
    if (isa != KernelIsa::kAvx512Bf16) {
      ConvertToFloat(scratch.bf16.data(), scratch.f32.data(), static_cast<std::size_t>(rows * k));
    }
    const Bf16* xb = scratch.bf16.data();
    const float* xf = scratch.f32.data();
    float* yi = y + i0 * ldy;
    switch (rows) {
      case 1:
        Pass<1>(isa, xb, xf, w, n, k, yi, ldy, accumulate);
        break;
      case 2:
        Pass<2>(isa, xb, xf, w, n, k, yi, ldy, accumulate);
        break;
      case 3:
        Pass<3>(isa, xb, xf, w, n, k, yi, ldy, accumulate);
        break;
      default:
        Pass<4>(isa, xb, xf, w, n, k, yi, ldy, accumulate);
        break;
    }
  }
}

}  // namespace infermeter::engines::reference
