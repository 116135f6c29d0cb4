#include "kernels/gemm.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
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
// calls whose row counts come from a small set (see SplitRows), so the number of primitives per
// shape stays bounded (oneDNN 2.6's brgemm matmul does not take a run-time M).
constexpr std::int64_t kExactRows = 64;

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

dnnl::matmul::primitive_desc MakePrimitiveDesc(std::int64_t m, std::int64_t n, std::int64_t k,
                                               std::int64_t ldy, bool accumulate,
                                               const dnnl::memory::desc& weights) {
  const dnnl::memory::desc src(Dims{m, k}, DataType::bf16, Tag::ab);
  const dnnl::memory::desc dst(Dims{m, n}, DataType::f32, Dims{ldy, 1});
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
};

class PrimitiveCache {
 public:
  const CachedPrimitive& Get(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t ldy,
                             bool accumulate, const dnnl::memory::desc& weights) {
    const Key key{m, n, k, ldy, accumulate};
    std::lock_guard lock(mutex_);
    auto it = primitives_.find(key);
    if (it == primitives_.end()) {
      const auto pd = MakePrimitiveDesc(m, n, k, ldy, accumulate, weights);
      it = primitives_.emplace(key, CachedPrimitive{dnnl::matmul(pd), pd.scratchpad_desc()}).first;
    }
    return it->second;
  }

 private:
  using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, bool>;
  std::mutex mutex_;
  std::map<Key, CachedPrimitive> primitives_;
};

PrimitiveCache& Primitives() {
  static PrimitiveCache cache;
  return cache;
}

// The largest row count not above `m` that gets a primitive of its own: m itself up to
// kExactRows, above that m rounded down to 8 steps per power of two. MatMul covers M with a
// few such calls (300 = 288 + 12), all writing straight into y.
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
  const auto pd = MakePrimitiveDesc(kExactRows, rows, cols, rows, false, any);
  auto prepared = std::make_unique<Prepared>();
  prepared->weights_desc = pd.weights_desc();
  prepared->weights = dnnl::memory(prepared->weights_desc, CpuEngine());
  prepared->impl = pd.impl_info_str();
  dnnl::memory plain(PlainWeightsDesc(rows, cols), CpuEngine(), values_.data());
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::reorder::primitive_desc reorder_pd(plain, prepared->weights, attr);
  dnnl::reorder(reorder_pd)
      .execute(CpuStream(), {{DNNL_ARG_FROM, plain},
                             {DNNL_ARG_TO, prepared->weights},
                             {DNNL_ARG_SCRATCHPAD, Scratchpad(reorder_pd.scratchpad_desc())}});
  CpuStream().wait();
  prepared_ = std::move(prepared);
}

namespace {

void OneDnnMatMul(const float* x, std::int64_t m, std::int64_t ldx, const Bf16Matrix& w, float* y,
                  std::int64_t ldy, bool accumulate) {
  const std::int64_t n = w.rows();
  const std::int64_t k = w.cols();
  const Bf16Matrix::Prepared& prepared = *w.prepared();
  std::vector<Bf16>& scratch = ActivationScratch();
  const std::int64_t chunk_rows = std::min(m, kMaxRowsPerCall);
  if (static_cast<std::int64_t>(scratch.size()) < chunk_rows * k) {
    scratch.resize(static_cast<std::size_t>(chunk_rows * k));
  }
  for (std::int64_t c0 = 0; c0 < m; c0 += kMaxRowsPerCall) {
    const std::int64_t chunk = std::min(kMaxRowsPerCall, m - c0);
    for (std::int64_t i = 0; i < chunk; ++i) {
      ConvertToBf16(x + (c0 + i) * ldx, scratch.data() + i * k, static_cast<std::size_t>(k));
    }
    for (std::int64_t r0 = 0; r0 < chunk;) {
      const std::int64_t rows = RowsForOneCall(chunk - r0);
      const CachedPrimitive& cached =
          Primitives().Get(rows, n, k, ldy, accumulate, prepared.weights_desc);
      dnnl::memory src(dnnl::memory::desc(Dims{rows, k}, DataType::bf16, Tag::ab), CpuEngine(),
                       scratch.data() + r0 * k);
      dnnl::memory dst(dnnl::memory::desc(Dims{rows, n}, DataType::f32, Dims{ldy, 1}), CpuEngine(),
                       y + (c0 + r0) * ldy);
      cached.primitive.execute(CpuStream(), {{DNNL_ARG_SRC, src},
                                             {DNNL_ARG_WEIGHTS, prepared.weights},
                                             {DNNL_ARG_DST, dst},
                                             {DNNL_ARG_SCRATCHPAD, Scratchpad(cached.scratchpad)}});
      r0 += rows;
    }
  }
  CpuStream().wait();
}

void ZeroOutput(std::int64_t m, std::int64_t n, float* y, std::int64_t ldy) {
  for (std::int64_t i = 0; i < m; ++i) std::fill_n(y + i * ldy, n, 0.0f);
}

}  // namespace

void MatMul(const float* x, std::int64_t m, std::int64_t ldx, const Bf16Matrix& w, float* y,
            std::int64_t ldy, bool accumulate) {
  MatMulVia(MatMulPath::kAuto, x, m, ldx, w, y, ldy, accumulate);
}

void MatMulVia(MatMulPath path, const float* x, std::int64_t m, std::int64_t ldx,
               const Bf16Matrix& w, float* y, std::int64_t ldy, bool accumulate) {
  if (m <= 0 || w.rows() == 0) return;
  if (ldx < w.cols() || ldy < w.rows()) {
    throw Error(fmt::format("MatMul: row strides ldx={} ldy={} below the {} x {} matrix's shape",
                            ldx, ldy, w.rows(), w.cols()));
  }
  if (w.cols() == 0) {
    if (!accumulate) ZeroOutput(m, w.rows(), y, ldy);
    return;
  }
  if (path == MatMulPath::kAuto) {
    path = m <= kGemvMaxRows ? MatMulPath::kGemv : MatMulPath::kOneDnn;
  }
  if (path == MatMulPath::kGemv) {
    Gemv(x, m, ldx, w.data(), w.rows(), w.cols(), y, ldy, accumulate);
  } else {
    OneDnnMatMul(x, m, ldx, w, y, ldy, accumulate);
  }
}

std::int64_t MatMulGemvMaxRows() { return kGemvMaxRows; }

std::string MatMulOneDnnImpl(const Bf16Matrix& w) {
  return w.prepared() != nullptr ? w.prepared()->impl : std::string();
}

}  // namespace infermeter::engines::reference
