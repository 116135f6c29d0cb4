#include "kernels/gemm.h"

#include <omp.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "kernels/gemv.h"

namespace infermeter::engines::reference {
namespace {

using Dims = dnnl::memory::dims;
using DataType = dnnl::memory::data_type;
using Tag = dnnl::memory::format_tag;

// Up to this many rows of x go through the GEMV: below it oneDNN's blocked kernels spend more
// on packing and partial tiles than streaming the weights once costs (bench/gemm_bench.cpp).
constexpr std::int64_t kGemvMaxRows = 4;
// Rows of x converted and multiplied per oneDNN call: bounds the BF16 scratch, and oneDNN is at
// its peak long before this.
constexpr std::int64_t kMaxRowsPerCall = 4096;
// Up to this many rows a primitive is built for the exact M; above it M is split into a few
// calls whose row counts come from a small set (RowsForOneCall), so the number of primitives per
// shape stays bounded (oneDNN 2.6's brgemm matmul does not take a run-time M).
constexpr std::int64_t kExactRows = 64;
// Bound on the dense buffer a strided output is staged in (16 MiB).
constexpr std::int64_t kMaxStagedFloats = std::int64_t{4} << 20;
// Staged outputs are copied into place on the OpenMP team above this many values.
constexpr std::int64_t kParallelCopyFloats = std::int64_t{1} << 16;

dnnl::engine& CpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// A CPU stream executes on the calling thread; one per thread keeps two engines (two step
// threads) from sharing one.
dnnl::stream& CpuStream() {
  thread_local dnnl::stream stream(CpuEngine());
  return stream;
}

dnnl::memory::desc PlainWeightsDesc(std::int64_t n, std::int64_t k) {
  // W is N x K row-major, which is the K x N matrix oneDNN wants, stored column-major (ba).
  return dnnl::memory::desc(Dims{k, n}, DataType::bf16, Tag::ba);
}

// Outputs are always dense (row stride N): oneDNN 2.6's brgemm kernel takes no other, and with
// weights in its blocked layout the only other kernel left is the reference loop.
dnnl::matmul::primitive_desc MakePrimitiveDesc(std::int64_t m, std::int64_t n, std::int64_t k,
                                               bool accumulate, const dnnl::memory::desc& weights) {
  const dnnl::memory::desc src(Dims{m, k}, DataType::bf16, Tag::ab);
  const dnnl::memory::desc dst(Dims{m, n}, DataType::f32, Tag::ab);
  dnnl::primitive_attr attr;
  // Our own per-thread scratchpad: oneDNN's shared one is not safe when two engines run
  // primitives on two threads at once.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, dst), attr, CpuEngine());
}

// Primitives depend on the shape only, not on the weights, so matrices of one shape share them.
// Guarded by a mutex because two engines may run steps on two threads.
struct CachedPrimitive {
  dnnl::matmul primitive;
  dnnl::memory::desc scratchpad;
  std::string impl;
};

class PrimitiveCache {
 public:
  const CachedPrimitive& Get(std::int64_t m, std::int64_t n, std::int64_t k, bool accumulate,
                             const dnnl::memory::desc& weights) {
    const Key key{m, n, k, accumulate};
    std::lock_guard lock(mutex_);
    auto it = primitives_.find(key);
    if (it == primitives_.end()) {
      const auto pd = MakePrimitiveDesc(m, n, k, accumulate, weights);
      it = primitives_
               .emplace(key,
                        CachedPrimitive{dnnl::matmul(pd), pd.scratchpad_desc(), pd.impl_info_str()})
               .first;
    }
    return it->second;
  }

  std::set<std::string> Impls() {
    std::lock_guard lock(mutex_);
    std::set<std::string> impls;
    for (const auto& [key, cached] : primitives_) impls.insert(cached.impl);
    return impls;
  }

 private:
  using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t, bool>;
  std::mutex mutex_;
  std::map<Key, CachedPrimitive> primitives_;
};

PrimitiveCache& Primitives() {
  static PrimitiveCache cache;
  return cache;
}

// The largest row count not above `m` that gets a primitive of its own: m itself up to
// kExactRows, above that m rounded down to 8 steps per power of two. MatMul covers M with a
// few such calls (300 = 288 + 12).
std::int64_t RowsForOneCall(std::int64_t m) {
  if (m <= kExactRows) return m;
  std::int64_t power = 1;
  while (power * 2 <= m) power *= 2;
  const std::int64_t step = power / 8;
  return m / step * step;
}

std::vector<Bf16>& ActivationScratch() {
  thread_local std::vector<Bf16> scratch;
  return scratch;
}

std::vector<float>& StagingScratch() {
  thread_local std::vector<float> scratch;
  return scratch;
}

// oneDNN's working memory for one call, grown to the largest any primitive asked for.
dnnl::memory Scratchpad(const dnnl::memory::desc& desc) {
  thread_local std::vector<std::uint8_t> bytes;
  if (bytes.size() < desc.get_size()) bytes.resize(desc.get_size());
  return dnnl::memory(desc, CpuEngine(), bytes.data());
}

}  // namespace

struct Bf16Matrix::Prepared {
  dnnl::memory::desc weights_desc;  // the layout oneDNN's kernels read
  dnnl::memory weights;             // W in that layout
  std::string impl;                 // oneDNN's implementation name, for reports
};

Bf16Matrix::Bf16Matrix() = default;
Bf16Matrix::Bf16Matrix(Bf16Matrix&&) noexcept = default;
Bf16Matrix& Bf16Matrix::operator=(Bf16Matrix&&) noexcept = default;
Bf16Matrix::~Bf16Matrix() = default;

Bf16Matrix::Bf16Matrix(std::int64_t rows, std::int64_t cols, std::vector<Bf16> values)
    : rows_(rows), cols_(cols), values_(std::move(values)) {
  if (rows < 0 || cols < 0 || static_cast<std::int64_t>(values_.size()) != rows * cols) {
    throw Error(fmt::format("Bf16Matrix: {} values given for a {} x {} matrix", values_.size(),
                            rows, cols));
  }
  if (rows == 0 || cols == 0) return;
  // Let oneDNN pick the weights layout (any M gives the same one), then reorder W into it once.
  const dnnl::memory::desc any(Dims{cols, rows}, DataType::bf16, Tag::any);
  const auto pd = MakePrimitiveDesc(kExactRows, rows, cols, false, any);
  auto prepared = std::make_unique<Prepared>();
  prepared->weights_desc = pd.weights_desc();
  prepared->weights = dnnl::memory(prepared->weights_desc, CpuEngine());
  prepared->impl = pd.impl_info_str();
  dnnl::memory plain(PlainWeightsDesc(rows, cols), CpuEngine(), values_.data());
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  // The reorder on one thread (its descriptor fixes its thread count when created; the
  // matmul's above keeps the caller's): matrices are built on the caller's thread (the CLI's
  // main thread), and an OpenMP team left there keeps an idle worker counted by libgomp, which
  // then sees more threads than cores and makes the engine's step team sleep on a futex at
  // every parallel region instead of spinning (decode steps ran 2x slower).
  struct OneThread {
    int saved = omp_get_max_threads();
    OneThread() { omp_set_num_threads(1); }
    ~OneThread() { omp_set_num_threads(saved); }
  } one_thread;
  const dnnl::reorder::primitive_desc reorder_pd(plain, prepared->weights, attr);
  dnnl::reorder(reorder_pd)
      .execute(CpuStream(), {{DNNL_ARG_FROM, plain},
                             {DNNL_ARG_TO, prepared->weights},
                             {DNNL_ARG_SCRATCHPAD, Scratchpad(reorder_pd.scratchpad_desc())}});
  CpuStream().wait();
  prepared_ = std::move(prepared);
}

namespace {

// Multiplies `rows` BF16 activation rows (dense, at `src`) into `rows` dense output rows.
void ExecuteRows(const Bf16* src, std::int64_t rows, const Bf16Matrix& w, float* dst,
                 bool accumulate) {
  const std::int64_t n = w.rows();
  const std::int64_t k = w.cols();
  const Bf16Matrix::Prepared& prepared = *w.prepared();
  const CachedPrimitive& cached = Primitives().Get(rows, n, k, accumulate, prepared.weights_desc);
  // oneDNN takes non-const handles; it only reads the source.
  dnnl::memory src_memory(dnnl::memory::desc(Dims{rows, k}, DataType::bf16, Tag::ab), CpuEngine(),
                          const_cast<Bf16*>(src));
  dnnl::memory dst_memory(dnnl::memory::desc(Dims{rows, n}, DataType::f32, Tag::ab), CpuEngine(),
                          dst);
  cached.primitive.execute(CpuStream(), {{DNNL_ARG_SRC, src_memory},
                                         {DNNL_ARG_WEIGHTS, prepared.weights},
                                         {DNNL_ARG_DST, dst_memory},
                                         {DNNL_ARG_SCRATCHPAD, Scratchpad(cached.scratchpad)}});
}

void OneDnnMatMul(const float* x, std::int64_t m, std::int64_t ldx, const Bf16Matrix& w, float* y,
                  std::int64_t ldy, bool accumulate) {
  const std::int64_t n = w.rows();
  const std::int64_t k = w.cols();
  // Strided outputs go through a dense staging buffer, bounded by taking fewer rows at a time.
  const bool dense = ldy == n;
  const std::int64_t chunk_rows =
      dense ? kMaxRowsPerCall : std::clamp(kMaxStagedFloats / n, std::int64_t{1}, kMaxRowsPerCall);
  std::vector<Bf16>& activations = ActivationScratch();
  const std::int64_t first_chunk = std::min(m, chunk_rows);
  if (static_cast<std::int64_t>(activations.size()) < first_chunk * k) {
    activations.resize(static_cast<std::size_t>(first_chunk * k));
  }
  std::vector<float>& staged = StagingScratch();
  if (!dense && static_cast<std::int64_t>(staged.size()) < first_chunk * n) {
    staged.resize(static_cast<std::size_t>(first_chunk * n));
  }
  for (std::int64_t c0 = 0; c0 < m; c0 += chunk_rows) {
    const std::int64_t chunk = std::min(chunk_rows, m - c0);
    for (std::int64_t i = 0; i < chunk; ++i) {
      ConvertToBf16(x + (c0 + i) * ldx, activations.data() + i * k, static_cast<std::size_t>(k));
    }
    float* out = dense ? y + c0 * ldy : staged.data();
    for (std::int64_t r0 = 0; r0 < chunk;) {
      const std::int64_t rows = RowsForOneCall(chunk - r0);
      ExecuteRows(activations.data() + r0 * k, rows, w, out + r0 * n, dense && accumulate);
      r0 += rows;
    }
    CpuStream().wait();
    if (!dense) {
#pragma omp parallel for schedule(static) if (chunk * n >= kParallelCopyFloats)
      for (std::int64_t i = 0; i < chunk; ++i) {
        const float* from = staged.data() + i * n;
        float* to = y + (c0 + i) * ldy;
        if (accumulate) {
          for (std::int64_t j = 0; j < n; ++j) to[j] += from[j];
        } else {
          std::copy(from, from + n, to);
        }
      }
    }
  }
}

void ZeroOutput(std::int64_t m, std::int64_t n, float* y, std::int64_t ldy) {
  for (std::int64_t i = 0; i < m; ++i) std::fill_n(y + i * ldy, n, 0.0f);
}

}  // namespace

void MatMul(const float* x, std::int64_t m, std::int64_t ldx, const Bf16Matrix& w, float* y,
            std::int64_t ldy, bool accumulate) {
  MatMulVia(MatMulPath::kAuto, x, m, ldx, w, y, ldy, accumulate);
}

namespace {

void CheckStrides(std::int64_t ldx, const Bf16Matrix& w, std::int64_t ldy) {
  if (ldx < w.cols() || ldy < w.rows()) {
    throw Error(fmt::format("MatMul: row strides ldx={} ldy={} below the {} x {} matrix's shape",
                            ldx, ldy, w.rows(), w.cols()));
  }
}

MatMulPath Resolve(MatMulPath path, std::int64_t m) {
  if (path != MatMulPath::kAuto) return path;
  return m <= kGemvMaxRows ? MatMulPath::kGemv : MatMulPath::kOneDnn;
}

}  // namespace

void MatMulVia(MatMulPath path, const float* x, std::int64_t m, std::int64_t ldx,
               const Bf16Matrix& w, float* y, std::int64_t ldy, bool accumulate) {
  if (m <= 0 || w.rows() == 0) return;
  CheckStrides(ldx, w, ldy);
  if (w.cols() == 0) {
    if (!accumulate) ZeroOutput(m, w.rows(), y, ldy);
    return;
  }
  path = Resolve(path, m);
  if (path == MatMulPath::kGemv) {
    Gemv(x, m, ldx, w.data(), w.rows(), w.cols(), y, ldy, accumulate);
  } else {
    OneDnnMatMul(x, m, ldx, w, y, ldy, accumulate);
  }
}

void MatMulGroup(MatMulPath path, std::span<const MatMulTask> tasks) {
  thread_local std::vector<GemvProblem> gemv;
  gemv.clear();
  for (const MatMulTask& t : tasks) {
    if (t.m <= 0 || t.w->rows() == 0) continue;
    CheckStrides(t.ldx, *t.w, t.ldy);
    if (t.w->cols() > 0 && Resolve(path, t.m) == MatMulPath::kGemv) {
      gemv.push_back(
          {t.x, t.m, t.ldx, t.w->data(), t.w->rows(), t.w->cols(), t.y, t.ldy, t.accumulate});
    } else {
      MatMulVia(path, t.x, t.m, t.ldx, *t.w, t.y, t.ldy, t.accumulate);
    }
  }
  if (!gemv.empty()) GemvGroup(gemv);
}

std::int64_t MatMulGemvMaxRows() { return kGemvMaxRows; }

std::string MatMulOneDnnImpl(const Bf16Matrix& w) {
  return w.prepared() != nullptr ? w.prepared()->impl : std::string();
}

std::set<std::string> MatMulOneDnnKernelsUsed() { return Primitives().Impls(); }

}  // namespace infermeter::engines::reference
