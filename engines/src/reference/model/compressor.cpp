#include "model/compressor.h"

#include <algorithm>
#include <cmath>

#include "kernels/ops.h"

namespace infermeter::engines::reference {
namespace {

constexpr std::int64_t kChannelChunk = 64;  // channels one task folds (states are per channel)

// One online-softmax accumulator of width d inside a state buffer:
// [running max (d) | running sum (d) | weighted value sum (d)]. A zero sum means empty.
struct Accumulator {
  float* base;
  std::int64_t d;
  float& max(std::int64_t i) const { return base[i]; }
  float& sum(std::int64_t i) const { return base[d + i]; }
  float& value(std::int64_t i) const { return base[2 * d + i]; }

  void Add(std::int64_t i, float v, float score) const {
    if (sum(i) == 0.0f) {
      max(i) = score;
      sum(i) = 1.0f;
      value(i) = v;
    } else if (score > max(i)) {
      const float f = std::exp(max(i) - score);
      sum(i) = sum(i) * f + 1.0f;
      value(i) = value(i) * f + v;
      max(i) = score;
    } else {
      const float e = std::exp(score - max(i));
      sum(i) += e;
      value(i) += e * v;
    }
  }
  void Clear(std::int64_t begin, std::int64_t end) const {
    for (std::int64_t i = begin; i < end; ++i) sum(i) = 0.0f;
  }
  void CopyTo(const Accumulator& to, std::int64_t begin, std::int64_t end) const {
    for (int part = 0; part < 3; ++part) {
      std::copy(base + part * d + begin, base + part * d + end, to.base + part * d + begin);
    }
  }
};

struct Emitted {
  std::int32_t slice;
  std::int64_t block;  // the entry's index: it pools positions [block * ratio, ...)
};

}  // namespace

void RunCompressor(LayerContext& c, const CompressorWeights& w, const float* x,
                   CompressorRole role) {
  const bool main_kv = role == CompressorRole::kMainKv;
  const OpClass op_class = main_kv ? OpClass::kCompressor : OpClass::kIndexer;
  const std::int64_t m = c.step.rows();
  const std::int64_t d = c.arch.hidden_size;
  const std::int64_t dim = w.head_dim;
  const std::int64_t width = w.width();
  const std::int64_t ratio = w.ratio;
  const std::int64_t rope_dims = c.arch.v4.rope_head_dim;
  const std::int64_t block_tokens = c.cache.layout().block_tokens;
  Workspace::Scope scope(c.ws);
  float* kv = c.ws.Take(static_cast<std::size_t>(m * width));
  float* score = c.ws.Take(static_cast<std::size_t>(m * width));
  Linear(x, m, d, *w.wkv, kv, width, op_class, c.flops);
  Linear(x, m, d, *w.wgate, score, width, op_class, c.flops);

  // Entries this step completes: a position p ends entry p / ratio when p % ratio == ratio - 1.
  const auto n_slices = static_cast<std::int64_t>(c.step.slices.size());
  auto* first_emitted = c.ws.TakeAs<std::int64_t>(static_cast<std::size_t>(n_slices));
  auto* emitted = c.ws.TakeAs<Emitted>(static_cast<std::size_t>(m / ratio + n_slices));
  std::int64_t total = 0;
  for (std::int64_t s = 0; s < n_slices; ++s) {
    first_emitted[s] = total;
    for (std::int64_t r = c.step.first_row[static_cast<std::size_t>(s)];
         r < c.step.first_row[static_cast<std::size_t>(s) + 1]; ++r) {
      const std::int64_t p = c.step.row_position[static_cast<std::size_t>(r)];
      if (p % ratio == ratio - 1) emitted[total++] = {static_cast<std::int32_t>(s), p / ratio};
    }
  }
  float* pooled = c.ws.Take(static_cast<std::size_t>(std::max<std::int64_t>(1, total) * dim));

  // State regions of this compressor (kv_layout.h): csa main [current | next], csa indexer
  // [current | next] after the main's, hca [current].
  const std::int64_t current_at = main_kv ? 0 : CsaCurrentIndexFloat(c.kv);
  const std::int64_t next_at = main_kv ? CsaNextMainFloat(c.kv) : CsaNextIndexFloat(c.kv);
  const std::int64_t snapshot_at = main_kv ? 0 : 3 * c.kv.head_dim;
  // With overlap the second half of a projection feeds the current entry, the first the next.
  const std::int64_t current_half = w.overlap ? dim : 0;

  const std::int64_t chunks = (dim + kChannelChunk - 1) / kChannelChunk;
  KvCache& cache = c.cache;
  const Step& step = c.step;
  const std::size_t layer = c.layer;
  // A decode step folds one row per slice: too little to wake the team for.
#pragma omp parallel for schedule(dynamic, 1) if (m > 4)
  for (std::int64_t item = 0; item < n_slices * chunks; ++item) {
    const std::int64_t s = item / chunks;
    const std::int64_t c0 = (item % chunks) * kChannelChunk;
    const std::int64_t c1 = std::min(dim, c0 + kChannelChunk);
    const SequenceKv& seq = *step.slices[static_cast<std::size_t>(s)].kv;
    auto* state = reinterpret_cast<float*>(cache.CompressorState(seq, layer));
    const Accumulator current{state + current_at, dim};
    const Accumulator next{state + next_at, dim};
    std::int64_t e = first_emitted[s];
    for (std::int64_t r = step.first_row[static_cast<std::size_t>(s)];
         r < step.first_row[static_cast<std::size_t>(s) + 1]; ++r) {
      const std::int64_t p = step.row_position[static_cast<std::size_t>(r)];
      const std::int64_t slot = p % ratio;
      if (slot == 0) {
        // A new entry starts: with overlap it begins from what the previous block's tokens
        // already gave it.
        if (w.overlap) {
          next.CopyTo(current, c0, c1);
          next.Clear(c0, c1);
        } else {
          current.Clear(c0, c1);
        }
      }
      const float* kv_row = kv + r * width;
      const float* score_row = score + r * width;
      const float* ape = w.ape + slot * width;
      for (std::int64_t i = c0; i < c1; ++i) {
        current.Add(i, kv_row[current_half + i],
                    score_row[current_half + i] + ape[current_half + i]);
      }
      if (w.overlap) {
        for (std::int64_t i = c0; i < c1; ++i) next.Add(i, kv_row[i], score_row[i] + ape[i]);
      }
      if (slot == ratio - 1) {
        float* out = pooled + e * dim;
        for (std::int64_t i = c0; i < c1; ++i) out[i] = current.value(i) / current.sum(i);
        ++e;
      }
      if (w.overlap && (p + 1) % block_tokens == 0) {
        // A cache block ends here: keep what a prefix-cache hit resuming at p + 1 needs.
        auto* snapshot = reinterpret_cast<float*>(cache.CarrySnapshot(seq, layer, p + 1));
        next.CopyTo(Accumulator{snapshot + snapshot_at, dim}, c0, c1);
      }
    }
  }

  const double theta = c.traits.compress_rope_theta;
  const EntryCodec* entry_codec = c.entry_codec;
  const IndexerKeyCodec* key_codec = c.key_codec;
  const float eps = c.traits.norm_eps;
#pragma omp parallel for schedule(static) if (total > 8)
  for (std::int64_t i = 0; i < total; ++i) {
    float* entry = pooled + i * dim;
    const Emitted& em = emitted[i];
    const SequenceKv& seq = *step.slices[static_cast<std::size_t>(em.slice)].kv;
    RmsNorm(entry, w.norm, dim, eps, entry);
    RotateAt(entry + dim - rope_dims, rope_dims, em.block * ratio, theta, RopeStyle::kInterleaved);
    if (main_kv) {
      entry_codec->Encode(entry, cache.CompressedEntry(seq, layer, em.block));
    } else {
      key_codec->Encode(entry, cache.IndexerKey(seq, layer, em.block));
    }
  }
  // Pooling: a weighted add per channel for every token of the entry's window.
  const std::int64_t window = (w.overlap ? 2 : 1) * ratio;
  AddFlops(c.flops, op_class, static_cast<double>(total) * 2.0 * static_cast<double>(window * dim));
}

}  // namespace infermeter::engines::reference
