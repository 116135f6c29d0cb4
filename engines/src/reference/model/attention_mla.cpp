// Multi-head latent attention (DeepSeek-V3) and its sparse form (V3.2's DSA).
//
// The cache holds, per position, the normed kv latent (kv_lora_rank) and the rope key
// (qk_rope_head_dim). Two equivalent ways to attend (docs/COST_MODEL.md):
//   absorbed (decode, any slice that continues a sequence, every DSA slice): q_nope is taken
//     into the latent through W_UK per head, scores are q_latent.latent + q_rope.k_rope over
//     the 576-wide cache entries, and the latent-space output goes back out through W_UV;
//   expanded (MLA prefill of a slice starting at position 0): the slice's latents are
//     up-projected through wkv_b into per-head k_nope and v, and attention runs at 192/128.
// Both multiply by wkv_b's weights once per token, so the dense FLOPs are the same.
#include <cmath>

#include "kernels/ops.h"
#include "model/indexer.h"
#include "model/layers.h"
#include "model/shared_keys.h"

namespace infermeter::engines::reference {
namespace {

struct MlaShape {
  std::int64_t heads, nope, rope, v, latent, entry, qk;
  explicit MlaShape(const models::Architecture& a)
      : heads(a.num_heads),
        nope(a.mla.qk_nope_head_dim),
        rope(a.mla.qk_rope_head_dim),
        v(a.mla.v_head_dim),
        latent(a.mla.kv_lora_rank),
        entry(a.mla.kv_lora_rank + a.mla.qk_rope_head_dim),
        qk(a.mla.qk_nope_head_dim + a.mla.qk_rope_head_dim) {}
};

// Absorbed attention for the step rows in `rows` (attn_out: rows of heads x v).
void Absorbed(LayerContext& c, const MlaShape& s, const float* q, const std::int64_t* rows,
              std::int64_t count, const KeySelection& selection, float* attn_out) {
  if (count == 0) return;
  const LayerWeights& w = c.w;
  Workspace::Scope scope(c.ws);
  const std::int64_t q_width = s.heads * s.qk;
  float* q_rows = c.ws.Take(static_cast<std::size_t>(count * q_width));
  float* q_abs = c.ws.Take(static_cast<std::size_t>(count * s.heads * s.entry));
  float* o_latent = c.ws.Take(static_cast<std::size_t>(count * s.heads * s.latent));
  float* o_rows = c.ws.Take(static_cast<std::size_t>(count * s.heads * s.v));
#pragma omp parallel for schedule(static) if (count > 16)
  for (std::int64_t i = 0; i < count; ++i) {
    std::copy(q + rows[i] * q_width, q + (rows[i] + 1) * q_width, q_rows + i * q_width);
  }
  for (std::int64_t h = 0; h < s.heads; ++h) {
    LinearF32(q_rows + h * s.qk, count, q_width, w.absorb_k[static_cast<std::size_t>(h)],
              q_abs + h * s.entry, s.heads * s.entry, OpClass::kDenseGemm, c.flops);
  }
#pragma omp parallel for schedule(static) if (count > 16)
  for (std::int64_t i = 0; i < count; ++i) {
    for (std::int64_t h = 0; h < s.heads; ++h) {
      const float* rope = q_rows + i * q_width + h * s.qk + s.nope;
      std::copy(rope, rope + s.rope, q_abs + (i * s.heads + h) * s.entry + s.latent);
    }
  }

  auto* queries = c.ws.TakeAs<AttentionQuery>(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t r = rows[i];
    const std::int64_t keys = selection.counts != nullptr
                                  ? selection.counts[r]
                                  : c.step.row_position[static_cast<std::size_t>(r)] + 1;
    queries[i] = {q_abs + i * s.heads * s.entry, o_latent + i * s.heads * s.latent, keys};
  }
  HeadLayout hl;
  hl.groups = 1;
  hl.heads_per_group = s.heads;
  hl.q_dim = s.entry;
  hl.v_dim = s.latent;  // the value is the latent part of the entry
  hl.row_floats = s.entry;
  hl.scale = 1.0f / std::sqrt(static_cast<float>(s.qk));
  KvCache& cache = c.cache;
  const Step& step = c.step;
  const std::size_t layer = c.layer;
  const EntryCodec& codec = *c.entry_codec;
  // Slices with many queries decode their positions [0, end) once (DSA's selections are
  // subsets of them).
  const auto n_slices = static_cast<std::int64_t>(step.slices.size());
  auto* shared = c.ws.TakeAs<const float*>(static_cast<std::size_t>(n_slices));
  std::fill(shared, shared + n_slices, nullptr);
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int32_t sl_index = step.row_slice[static_cast<std::size_t>(rows[i])];
    const ForwardSlice& sl = step.slices[static_cast<std::size_t>(sl_index)];
    const std::int64_t end = sl.start + sl.count;
    if (shared[sl_index] != nullptr || !ShareKeys(sl.count, end * s.entry)) continue;
    float* decoded = c.ws.Take(static_cast<std::size_t>(end * s.entry));
    DecodeRows(
        0, end, s.entry,
        [&](std::int64_t p) {
          return static_cast<const std::uint8_t*>(cache.TokenEntry(*sl.kv, layer, p));
        },
        [&](const std::uint8_t* in, float* out) { codec.Decode(in, out); }, decoded);
    shared[sl_index] = decoded;
  }
  const auto fetch = [&](std::int64_t query, std::int64_t first, std::int64_t n, float* tile,
                         const float** key_rows) {
    const std::int64_t r = rows[query];
    const SequenceKv& seq = step.kv(r);
    const float* decoded = shared[step.row_slice[static_cast<std::size_t>(r)]];
    const std::int32_t* list = selection.lists != nullptr ? selection.lists[r] : nullptr;
    for (std::int64_t j = 0; j < n; ++j) {
      const std::int64_t position = list != nullptr ? list[first + j] : first + j;
      if (decoded != nullptr) {
        key_rows[j] = decoded + position * s.entry;
      } else {
        codec.Decode(cache.TokenEntry(seq, layer, position), tile + j * s.entry);
        key_rows[j] = tile + j * s.entry;
      }
    }
  };
  AddFlops(c.flops, OpClass::kAttention,
           RunAttention(hl, s.entry, s.latent,
                        std::span<const AttentionQuery>(queries, static_cast<std::size_t>(count)),
                        nullptr, fetch, c.attention));
  for (std::int64_t h = 0; h < s.heads; ++h) {
    LinearF32(o_latent + h * s.latent, count, s.heads * s.latent,
              w.absorb_v[static_cast<std::size_t>(h)], o_rows + h * s.v, s.heads * s.v,
              OpClass::kDenseGemm, c.flops);
  }
#pragma omp parallel for schedule(static) if (count > 16)
  for (std::int64_t i = 0; i < count; ++i) {
    std::copy(o_rows + i * s.heads * s.v, o_rows + (i + 1) * s.heads * s.v,
              attn_out + rows[i] * s.heads * s.v);
  }
}

// Expanded (MHA-form) causal attention of one slice that starts at position 0: its keys are
// exactly its own rows [first, first + n).
void Expanded(LayerContext& c, const MlaShape& s, const float* q, std::int64_t first,
              std::int64_t n, float* attn_out) {
  const LayerWeights& w = c.w;
  Workspace::Scope scope(c.ws);
  const std::int64_t kv_width = s.nope + s.v;
  const std::int64_t key_row = s.heads * (s.qk + s.v);  // per head: k_nope | k_rope | v
  float* latents = c.ws.Take(static_cast<std::size_t>(n * s.entry));
  float* kv = c.ws.Take(static_cast<std::size_t>(n * s.heads * kv_width));
  float* keys = c.ws.Take(static_cast<std::size_t>(n * key_row));
  const SequenceKv& seq = c.step.kv(first);
  const EntryCodec& codec = *c.entry_codec;
  // Read the latents back from the cache so that the expanded form sees the same (quantised)
  // values as the absorbed form does in later steps.
#pragma omp parallel for schedule(static) if (n > 16)
  for (std::int64_t j = 0; j < n; ++j) {
    codec.Decode(c.cache.TokenEntry(seq, c.layer, j), latents + j * s.entry);
  }
  LinearF32(latents, n, s.entry, *w.wkv_b, kv, s.heads * kv_width, OpClass::kDenseGemm, c.flops);
#pragma omp parallel for schedule(static) if (n > 16)
  for (std::int64_t j = 0; j < n; ++j) {
    for (std::int64_t h = 0; h < s.heads; ++h) {
      const float* src = kv + (j * s.heads + h) * kv_width;
      float* dst = keys + j * key_row + h * (s.qk + s.v);
      std::copy(src, src + s.nope, dst);
      std::copy(latents + j * s.entry + s.latent, latents + (j + 1) * s.entry, dst + s.nope);
      std::copy(src + s.nope, src + kv_width, dst + s.qk);
    }
  }
  auto* queries = c.ws.TakeAs<AttentionQuery>(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    queries[i] = {q + (first + i) * s.heads * s.qk, attn_out + (first + i) * s.heads * s.v, i + 1};
  }
  HeadLayout hl;
  hl.groups = s.heads;
  hl.heads_per_group = 1;
  hl.q_dim = s.qk;
  hl.v_dim = s.v;
  hl.key_offset = 0;
  hl.key_group_stride = s.qk + s.v;
  hl.value_offset = s.qk;
  hl.value_group_stride = s.qk + s.v;
  hl.row_floats = key_row;
  hl.scale = 1.0f / std::sqrt(static_cast<float>(s.qk));
  const auto fetch = [&](std::int64_t, std::int64_t k0, std::int64_t n, float*,
                         const float** key_rows) {
    for (std::int64_t j = 0; j < n; ++j) key_rows[j] = keys + (k0 + j) * key_row;
  };
  AddFlops(c.flops, OpClass::kAttention,
           RunAttention(hl, s.qk, s.v,
                        std::span<const AttentionQuery>(queries, static_cast<std::size_t>(n)),
                        nullptr, fetch, c.attention));
}

}  // namespace

void MlaAttention(LayerContext& c, const float* x, float* out) {
  const auto& a = c.arch;
  const LayerWeights& w = c.w;
  const MlaShape s(a);
  const std::int64_t m = c.step.rows();
  const std::int64_t d = a.hidden_size;
  const std::int64_t q_width = s.heads * s.qk;
  const bool dsa = w.spec.attention == models::AttentionKind::kDsa;
  Workspace::Scope scope(c.ws);

  float* q = c.ws.Take(static_cast<std::size_t>(m * q_width));
  float* qr = nullptr;
  if (w.wq_a != nullptr) {
    const std::int64_t rank = a.mla.q_lora_rank;
    qr = c.ws.Take(static_cast<std::size_t>(m * rank));
    Linear(x, m, d, *w.wq_a, qr, rank, OpClass::kDenseGemm, c.flops);
#pragma omp parallel for schedule(static) if (m > 16)
    for (std::int64_t r = 0; r < m; ++r) {
      RmsNorm(qr + r * rank, w.q_norm, rank, c.traits.norm_eps, qr + r * rank);
    }
    Linear(qr, m, rank, *w.wq_b, q, q_width, OpClass::kDenseGemm, c.flops);
  } else {
    Linear(x, m, d, *w.wq, q, q_width, OpClass::kDenseGemm, c.flops);
  }
  float* kv = c.ws.Take(static_cast<std::size_t>(m * s.entry));
  Linear(x, m, d, *w.wkv_a, kv, s.entry, OpClass::kDenseGemm, c.flops);

  const RopeTable& rope = c.rope.Get(s.rope, c.traits.rope_theta);
  const EntryCodec& codec = *c.entry_codec;
#pragma omp parallel for schedule(static) if (m > 16)
  for (std::int64_t r = 0; r < m; ++r) {
    float* row = kv + r * s.entry;
    RmsNorm(row, w.kv_norm, s.latent, c.traits.norm_eps, row);
    rope.Rotate(row + s.latent, r, RopeStyle::kInterleaved);
    for (std::int64_t h = 0; h < s.heads; ++h) {
      rope.Rotate(q + r * q_width + h * s.qk + s.nope, r, RopeStyle::kInterleaved);
    }
    codec.Encode(row, c.cache.TokenEntry(c.step.kv(r), c.layer,
                                         c.step.row_position[static_cast<std::size_t>(r)]));
  }

  const KeySelection selection = dsa ? DsaIndexer(c, x, qr) : KeySelection{};

  // MLA slices that start a sequence run expanded; everything else absorbed.
  float* attn = c.ws.Take(static_cast<std::size_t>(m * s.heads * s.v));
  auto* absorbed_rows = c.ws.TakeAs<std::int64_t>(static_cast<std::size_t>(m));
  std::int64_t absorbed = 0;
  for (std::size_t sl = 0; sl < c.step.slices.size(); ++sl) {
    const std::int64_t first = c.step.first_row[sl];
    const std::int64_t last = c.step.first_row[sl + 1];
    if (!dsa && c.step.slices[sl].start == 0) {
      Expanded(c, s, q, first, last - first, attn);
      continue;
    }
    for (std::int64_t r = first; r < last; ++r) absorbed_rows[absorbed++] = r;
  }
  Absorbed(c, s, q, absorbed_rows, absorbed, selection, attn);
  Linear(attn, m, s.heads * s.v, *w.wo, out, d, OpClass::kDenseGemm, c.flops);
}

}  // namespace infermeter::engines::reference
