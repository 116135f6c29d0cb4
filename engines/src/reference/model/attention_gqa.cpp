// Grouped-query attention (Llama, Qwen): q/k/v projections, optional biases and per-head q/k
// RMSNorm, RoPE (rotate_half form), cache entry K|V per position, dense causal attention.
#include <cmath>

#include "kernels/ops.h"
#include "model/layers.h"
#include "model/shared_keys.h"

namespace infermeter::engines::reference {

void GqaAttention(LayerContext& c, const float* x, float* out) {
  const auto& a = c.arch;
  const LayerWeights& w = c.w;
  const std::int64_t m = c.step.rows();
  const std::int64_t d = a.hidden_size;
  const std::int64_t heads = a.num_heads;
  const std::int64_t kv_heads = a.gqa.num_kv_heads;
  const std::int64_t dh = a.gqa.head_dim;
  const std::int64_t q_width = heads * dh;
  const std::int64_t kv_width = 2 * kv_heads * dh;  // the cache entry: K of every head, then V

  Workspace::Scope scope(c.ws);
  float* q = c.ws.Take(static_cast<std::size_t>(m * q_width));
  float* kv = c.ws.Take(static_cast<std::size_t>(m * kv_width));
  float* attn = c.ws.Take(static_cast<std::size_t>(m * q_width));
  Linear(x, m, d, *w.wq, q, q_width, OpClass::kDenseGemm, c.flops);
  Linear(x, m, d, *w.wk, kv, kv_width, OpClass::kDenseGemm, c.flops);
  Linear(x, m, d, *w.wv, kv + kv_heads * dh, kv_width, OpClass::kDenseGemm, c.flops);

  const RopeTable& rope = c.rope.Get(dh, c.traits.rope_theta);
  const EntryCodec& codec = *c.entry_codec;
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < m; ++r) {
    float* qr = q + r * q_width;
    float* kr = kv + r * kv_width;
    float* vr = kr + kv_heads * dh;
    if (w.q_bias != nullptr) {
      for (std::int64_t i = 0; i < q_width; ++i) qr[i] += w.q_bias[i];
      for (std::int64_t i = 0; i < kv_heads * dh; ++i) {
        kr[i] += w.k_bias[i];
        vr[i] += w.v_bias[i];
      }
    }
    for (std::int64_t h = 0; h < heads; ++h) {
      if (w.q_head_norm != nullptr)
        RmsNorm(qr + h * dh, w.q_head_norm, dh, c.traits.norm_eps, qr + h * dh);
      rope.Rotate(qr + h * dh, r, RopeStyle::kHalf);
    }
    for (std::int64_t h = 0; h < kv_heads; ++h) {
      if (w.k_head_norm != nullptr)
        RmsNorm(kr + h * dh, w.k_head_norm, dh, c.traits.norm_eps, kr + h * dh);
      rope.Rotate(kr + h * dh, r, RopeStyle::kHalf);
    }
    codec.Encode(kr, c.cache.TokenEntry(c.step.kv(r), c.layer,
                                        c.step.row_position[static_cast<std::size_t>(r)]));
  }

  // Every query attends to positions 0..p, read back from the cache (quantised like any key).
  auto* queries = c.ws.TakeAs<AttentionQuery>(static_cast<std::size_t>(m));
  for (std::int64_t r = 0; r < m; ++r) {
    queries[r] = {q + r * q_width, attn + r * q_width,
                  c.step.row_position[static_cast<std::size_t>(r)] + 1};
  }
  HeadLayout hl;
  hl.groups = kv_heads;
  hl.heads_per_group = heads / kv_heads;
  hl.q_dim = dh;
  hl.v_dim = dh;
  hl.key_offset = 0;
  hl.key_group_stride = dh;
  hl.value_offset = kv_heads * dh;
  hl.value_group_stride = dh;
  hl.row_floats = kv_width;
  hl.scale = 1.0f / std::sqrt(static_cast<float>(dh));
  KvCache& cache = c.cache;
  const Step& step = c.step;
  const std::size_t layer = c.layer;
  // Slices with many queries decode their keys [0, end) once.
  const auto n_slices = static_cast<std::int64_t>(step.slices.size());
  auto* shared = c.ws.TakeAs<const float*>(static_cast<std::size_t>(n_slices));
  for (std::int64_t s = 0; s < n_slices; ++s) {
    const ForwardSlice& sl = step.slices[static_cast<std::size_t>(s)];
    const std::int64_t end = sl.start + sl.count;
    shared[s] = nullptr;
    if (!ShareKeys(sl.count, end * kv_width)) continue;
    float* rows = c.ws.Take(static_cast<std::size_t>(end * kv_width));
    DecodeRows(
        0, end, kv_width,
        [&](std::int64_t p) {
          return static_cast<const std::uint8_t*>(cache.TokenEntry(*sl.kv, layer, p));
        },
        [&](const std::uint8_t* in, float* out) { codec.Decode(in, out); }, rows);
    shared[s] = rows;
  }
  const auto fetch = [&](std::int64_t query, std::int64_t first, std::int64_t n, float* tile,
                         const float** rows) {
    const float* decoded = shared[step.row_slice[static_cast<std::size_t>(query)]];
    const SequenceKv& seq = step.kv(query);
    for (std::int64_t j = 0; j < n; ++j) {
      if (decoded != nullptr) {
        rows[j] = decoded + (first + j) * kv_width;
      } else {
        codec.Decode(cache.TokenEntry(seq, layer, first + j), tile + j * kv_width);
        rows[j] = tile + j * kv_width;
      }
    }
  };
  AddFlops(c.flops, OpClass::kAttention,
           RunAttention(hl, dh, dh,
                        std::span<const AttentionQuery>(queries, static_cast<std::size_t>(m)),
                        nullptr, fetch, c.attention));
  Linear(attn, m, q_width, *w.wo, out, d, OpClass::kDenseGemm, c.flops);
}

}  // namespace infermeter::engines::reference
