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

// Below this many bytes of weights the OpenMP fork/join costs more than a second core saves.
constexpr std::int64_t kParallelMinBytes = 128 * 1024;

// One pass over a problem's weights for up to kGemvRowsPerPass of its x rows: the unit that
// the team's threads split among themselves.
struct Segment {
  const GemvProblem* problem = nullptr;
  std::int64_t first_x_row = 0;
  std::int64_t x_rows = 0;      // 1..kGemvRowsPerPass
  const Bf16* xb = nullptr;     // those rows in BF16
  const float* xf = nullptr;    // and widened back to FP32 for the non-BF16 kernels
  std::int64_t first_byte = 0;  // where its weights start in the group's byte order
  std::int64_t row_bytes = 0;
};

// x rows rounded to BF16, in the form each kernel reads them: BF16 for VDPBF16PS, FP32 holding
// BF16 values otherwise; and the group's segments. One per thread: MatMul runs on one thread per
// engine.
struct GemvScratch {
  std::vector<Bf16> bf16;
  std::vector<float> f32;
  std::vector<Segment> segments;
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

// Weight rows [r0, r0 + rows) of one segment.
void RunSegmentRows(KernelIsa isa, const Segment& s, std::int64_t r0, std::int64_t rows) {
  const GemvProblem& p = *s.problem;
  float* y = p.y + s.first_x_row * p.ldy;
  switch (s.x_rows) {
    case 1:
      Rows<1>(isa, s.xb, s.xf, p.w, p.k, r0, rows, y, p.ldy, p.accumulate);
      break;
    case 2:
      Rows<2>(isa, s.xb, s.xf, p.w, p.k, r0, rows, y, p.ldy, p.accumulate);
      break;
    case 3:
      Rows<3>(isa, s.xb, s.xf, p.w, p.k, r0, rows, y, p.ldy, p.accumulate);
      break;
    default:
      Rows<4>(isa, s.xb, s.xf, p.w, p.k, r0, rows, y, p.ldy, p.accumulate);
      break;
  }
}

// The weight rows whose first byte lies in [begin, end) of the group's byte order: each thread
// takes one such contiguous share, so that it streams one long run of memory (dynamic chunks
// of 32-256 KB cost 10-25% of the bandwidth on a 2-core Zen 4, the prefetchers restarting at
// every chunk), and a layer's small expert matrices stream like one large one.
void RunShare(KernelIsa isa, const std::vector<Segment>& segments, std::int64_t begin,
              std::int64_t end) {
  for (const Segment& s : segments) {
    const std::int64_t n = s.problem->n;
    const std::int64_t first =
        std::clamp((begin - s.first_byte + s.row_bytes - 1) / s.row_bytes, std::int64_t{0}, n);
    const std::int64_t last =
        std::clamp((end - s.first_byte + s.row_bytes - 1) / s.row_bytes, std::int64_t{0}, n);
    if (first < last) RunSegmentRows(isa, s, first, last - first);
  }
}

}  // namespace

void GemvGroup(std::span<const GemvProblem> problems) {
  const KernelIsa isa = ActiveKernelIsa();
  const bool widen = isa != KernelIsa::kAvx512Bf16;
  // Round every x row to BF16 once, into one per-thread buffer.
  std::int64_t x_elements = 0;
  for (const GemvProblem& p : problems) {
    if (p.m > 0 && p.n > 0 && p.k > 0) x_elements += p.m * p.k;
  }
  GemvScratch& scratch = Scratch();
  if (static_cast<std::int64_t>(scratch.bf16.size()) < x_elements) {
    scratch.bf16.resize(static_cast<std::size_t>(x_elements));
  }
  if (widen && static_cast<std::int64_t>(scratch.f32.size()) < x_elements) {
    scratch.f32.resize(static_cast<std::size_t>(x_elements));
  }
  std::vector<Segment>& segments = scratch.segments;
  segments.clear();
  std::int64_t offset = 0;
  std::int64_t total_bytes = 0;
  for (const GemvProblem& p : problems) {
    if (p.m <= 0 || p.n <= 0 || p.k <= 0) continue;
    Bf16* xb = scratch.bf16.data() + offset;
    for (std::int64_t i = 0; i < p.m; ++i) {
      ConvertToBf16(p.x + i * p.ldx, xb + i * p.k, static_cast<std::size_t>(p.k));
    }
    float* xf = widen ? scratch.f32.data() + offset : nullptr;
    if (widen) ConvertToFloat(xb, xf, static_cast<std::size_t>(p.m * p.k));
    offset += p.m * p.k;
    for (std::int64_t i0 = 0; i0 < p.m; i0 += kGemvRowsPerPass) {
      const std::int64_t row_bytes = p.k * static_cast<std::int64_t>(sizeof(Bf16));
      segments.push_back({&p, i0, std::min(kGemvRowsPerPass, p.m - i0), xb + i0 * p.k,
                          widen ? xf + i0 * p.k : nullptr, total_bytes, row_bytes});
      total_bytes += p.n * row_bytes;
    }
  }
  if (total_bytes < kParallelMinBytes) {
    RunShare(isa, segments, 0, total_bytes);
    return;
  }
#pragma omp parallel
  {
    const std::int64_t threads = omp_get_num_threads();
    const std::int64_t thread = omp_get_thread_num();
    RunShare(isa, segments, total_bytes * thread / threads, total_bytes * (thread + 1) / threads);
  }
}

void Gemv(const float* x, std::int64_t m, std::int64_t ldx, const Bf16* w, std::int64_t n,
          std::int64_t k, float* y, std::int64_t ldy, bool accumulate) {
  const GemvProblem problem{x, m, ldx, w, n, k, y, ldy, accumulate};
  GemvGroup(std::span<const GemvProblem>(&problem, 1));
}

}  // namespace infermeter::engines::reference
