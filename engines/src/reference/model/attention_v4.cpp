// DeepSeek-V4 attention (swa, csa and hca layers). One 512-wide vector per token serves as key
// and value (shared-KV MQA). Every query reads the raw entries of the last sliding_window
// positions; csa layers add the compressed entries their indexer picks, hca layers every
// compressed entry whose block has ended. A learned per-head sink joins the softmax
// denominator. The output is de-rotated, then projected by the grouped wo_a and by wo_b.
#include <algorithm>
#include <cmath>

#include "kernels/ops.h"
#include "model/attention_bf16.h"
#include "model/compressor.h"
#include "model/indexer.h"
#include "model/layers.h"
#include "model/shared_keys.h"

namespace infermeter::engines::reference {

using models::AttentionKind;

void V4Attention(LayerContext& c, const float* x, float* out) {
  const auto& a = c.arch;
  const auto& v = a.v4;
  const LayerWeights& w = c.w;
  const AttentionKind kind = w.spec.attention;
  const std::int64_t m = c.step.rows();
  const std::int64_t d = a.hidden_size;
  const std::int64_t heads = a.num_heads;
  const std::int64_t dim = v.head_dim;
  const std::int64_t rope_dims = v.rope_head_dim;
  const std::int64_t q_width = heads * dim;
  const double theta =
      kind == AttentionKind::kSwa ? c.traits.rope_theta : c.traits.compress_rope_theta;
  Workspace::Scope scope(c.ws);

  float* qr = c.ws.Take(static_cast<std::size_t>(m * v.q_lora_rank));
  float* q = c.ws.Take(static_cast<std::size_t>(m * q_width));
  float* kv = c.ws.Take(static_cast<std::size_t>(m * dim));
  Linear(x, m, d, *w.wq_a, qr, v.q_lora_rank, OpClass::kDenseGemm, c.flops);
#pragma omp parallel for schedule(static) if (m > 16)
  for (std::int64_t r = 0; r < m; ++r) {
    RmsNorm(qr + r * v.q_lora_rank, w.q_norm, v.q_lora_rank, c.traits.norm_eps,
            qr + r * v.q_lora_rank);
  }
  Linear(qr, m, v.q_lora_rank, *w.wq_b, q, q_width, OpClass::kDenseGemm, c.flops);
  Linear(x, m, d, *w.wkv, kv, dim, OpClass::kDenseGemm, c.flops);

  const RopeTable& rope = c.rope.Get(rope_dims, theta);
  const EntryCodec& codec = *c.entry_codec;
#pragma omp parallel for schedule(static) if (m > 16)
  for (std::int64_t r = 0; r < m; ++r) {
    for (std::int64_t h = 0; h < heads; ++h) {
      float* qh = q + r * q_width + h * dim;
      RmsNorm(qh, nullptr, dim, c.traits.norm_eps, qh);  // per-head RMSNorm without weight
      rope.Rotate(qh + dim - rope_dims, r, RopeStyle::kInterleaved);
    }
    float* kr = kv + r * dim;
    RmsNorm(kr, w.kv_norm, dim, c.traits.norm_eps, kr);
    rope.Rotate(kr + dim - rope_dims, r, RopeStyle::kInterleaved);
    codec.Encode(kr, c.cache.WindowEntry(c.step.kv(r), c.layer,
                                         c.step.row_position[static_cast<std::size_t>(r)]));
  }

  KeySelection selection;
  if (kind != AttentionKind::kSwa) RunCompressor(c, w.compressor, x, CompressorRole::kMainKv);
  if (kind == AttentionKind::kCsa) selection = CsaIndexer(c, x, qr);

  // Keys of the row at position p (t = p + 1 visible): the window [t - min(t, W), t), then the
  // compressed entries (csa: the selected ones; hca: all floor(t / ratio)).
  auto* window_first = c.ws.TakeAs<std::int64_t>(static_cast<std::size_t>(m));
  auto* window_count = c.ws.TakeAs<std::int64_t>(static_cast<std::size_t>(m));
  auto* queries = c.ws.TakeAs<AttentionQuery>(static_cast<std::size_t>(m));
  float* o = c.ws.Take(static_cast<std::size_t>(m * q_width));
  for (std::int64_t r = 0; r < m; ++r) {
    const std::int64_t t = c.step.row_position[static_cast<std::size_t>(r)] + 1;
    window_count[r] = std::min(t, v.sliding_window_tokens);
    window_first[r] = t - window_count[r];
    std::int64_t compressed = 0;
    if (kind == AttentionKind::kCsa) compressed = selection.counts[r];
    if (kind == AttentionKind::kHca) compressed = t / v.hca_ratio_tokens;
    queries[r] = {q + r * q_width, o + r * q_width, window_count[r] + compressed};
  }
  HeadLayout hl;
  hl.groups = 1;
  hl.heads_per_group = heads;
  hl.q_dim = dim;
  hl.v_dim = dim;
  hl.row_floats = dim;
  hl.scale = 1.0f / std::sqrt(static_cast<float>(dim));
  KvCache& cache = c.cache;
  const Step& step = c.step;
  const std::size_t layer = c.layer;
  // Slices with many queries decode once the window positions any of them sees and every
  // compressed entry visible at the slice's end.
  const std::int64_t ratio = kind == AttentionKind::kSwa ? 0 : w.compressor.ratio;
  const auto n_slices = static_cast<std::int64_t>(step.slices.size());
  auto* shared_window = c.ws.TakeAs<const float*>(static_cast<std::size_t>(n_slices));
  auto* shared_first = c.ws.TakeAs<std::int64_t>(static_cast<std::size_t>(n_slices));
  auto* shared_compressed = c.ws.TakeAs<const float*>(static_cast<std::size_t>(n_slices));
  // With the BF16 kernels the shared rows are also rounded to BF16 once (dim is a multiple of
  // 32, so the rows need no padding): each query then reads half the bytes and rounds nothing.
  const bool bf16 = UseBf16Attention(heads) && dim == Bf16PaddedDim(dim);
  auto* shared_window_bf16 = c.ws.TakeAs<const Bf16*>(static_cast<std::size_t>(n_slices));
  auto* shared_compressed_bf16 = c.ws.TakeAs<const Bf16*>(static_cast<std::size_t>(n_slices));
  const auto round_rows = [&](const float* rows, std::int64_t count) {
    auto* out = c.ws.TakeAs<Bf16>(static_cast<std::size_t>(count * dim));
#pragma omp parallel for schedule(static) if (count > 64)
    for (std::int64_t b = 0; b < count; b += 64) {
      PackRowsBf16(rows + b * dim, dim, std::min<std::int64_t>(64, count - b), dim, out + b * dim);
    }
    return static_cast<const Bf16*>(out);
  };
  for (std::int64_t s = 0; s < n_slices; ++s) {
    const ForwardSlice& sl = step.slices[static_cast<std::size_t>(s)];
    const std::int64_t end = sl.start + sl.count;
    const std::int64_t first = std::max<std::int64_t>(0, sl.start + 1 - v.sliding_window_tokens);
    const std::int64_t compressed = ratio > 0 ? end / ratio : 0;
    shared_window[s] = nullptr;
    shared_compressed[s] = nullptr;
    shared_window_bf16[s] = nullptr;
    shared_compressed_bf16[s] = nullptr;
    shared_first[s] = first;
    if (!ShareKeys(sl.count, (end - first + compressed) * dim)) continue;
    const auto decode = [&](const std::uint8_t* in, float* out) { codec.Decode(in, out); };
    float* window = c.ws.Take(static_cast<std::size_t>((end - first) * dim));
    DecodeRows(
        first, end - first, dim,
        [&](std::int64_t p) {
          return static_cast<const std::uint8_t*>(cache.WindowEntry(*sl.kv, layer, p));
        },
        decode, window);
    shared_window[s] = window;
    if (bf16) shared_window_bf16[s] = round_rows(window, end - first);
    if (compressed > 0) {
      float* entries = c.ws.Take(static_cast<std::size_t>(compressed * dim));
      DecodeRows(
          0, compressed, dim,
          [&](std::int64_t i) {
            return static_cast<const std::uint8_t*>(cache.CompressedEntry(*sl.kv, layer, i));
          },
          decode, entries);
      shared_compressed[s] = entries;
      if (bf16) shared_compressed_bf16[s] = round_rows(entries, compressed);
    }
  }
  const auto fetch = [&](std::int64_t r, std::int64_t first, std::int64_t n, float* tile,
                         const float** rows) {
    const SequenceKv& seq = step.kv(r);
    const std::int32_t s = step.row_slice[static_cast<std::size_t>(r)];
    const std::int32_t* list = selection.lists != nullptr ? selection.lists[r] : nullptr;
    for (std::int64_t j = 0; j < n; ++j) {
      const std::int64_t k = first + j;
      if (k < window_count[r]) {
        const std::int64_t position = window_first[r] + k;
        if (shared_window[s] != nullptr) {
          rows[j] = shared_window[s] + (position - shared_first[s]) * dim;
          continue;
        }
        codec.Decode(cache.WindowEntry(seq, layer, position), tile + j * dim);
      } else {
        const std::int64_t i = k - window_count[r];
        const std::int64_t index = list != nullptr ? list[i] : i;
        if (shared_compressed[s] != nullptr) {
          rows[j] = shared_compressed[s] + index * dim;
          continue;
        }
        codec.Decode(cache.CompressedEntry(seq, layer, index), tile + j * dim);
      }
      rows[j] = tile + j * dim;
    }
  };
  const auto fetch_bf16 = [&](std::int64_t r, std::int64_t first, std::int64_t n,
                              const Bf16** rows) {
    const std::int32_t s = step.row_slice[static_cast<std::size_t>(r)];
    if (shared_window_bf16[s] == nullptr) return false;
    const std::int32_t* list = selection.lists != nullptr ? selection.lists[r] : nullptr;
    for (std::int64_t j = 0; j < n; ++j) {
      const std::int64_t k = first + j;
      if (k < window_count[r]) {
        rows[j] = shared_window_bf16[s] + (window_first[r] + k - shared_first[s]) * dim;
      } else {
        const std::int64_t i = k - window_count[r];
        rows[j] = shared_compressed_bf16[s] + (list != nullptr ? list[i] : i) * dim;
      }
    }
    return true;
  };
  AddFlops(c.flops, OpClass::kAttention,
           RunAttention(hl, dim, dim,
                        std::span<const AttentionQuery>(queries, static_cast<std::size_t>(m)),
                        w.sink, fetch, c.attention, fetch_bf16));

  // Values carry their keys' rotation; rotating the output back leaves relative positions.
#pragma omp parallel for schedule(static) if (m > 16)
  for (std::int64_t r = 0; r < m; ++r) {
    for (std::int64_t h = 0; h < heads; ++h) {
      rope.Rotate(o + r * q_width + h * dim + dim - rope_dims, r, RopeStyle::kInterleaved,
                  /*inverse=*/true);
    }
  }
  const std::int64_t groups = v.o_groups;
  const std::int64_t group_width = q_width / groups;
  float* grouped = c.ws.Take(static_cast<std::size_t>(m * groups * v.o_lora_rank));
  for (std::int64_t g = 0; g < groups; ++g) {
    Linear(o + g * group_width, m, q_width, *w.wo_a[static_cast<std::size_t>(g)],
           grouped + g * v.o_lora_rank, groups * v.o_lora_rank, OpClass::kDenseGemm, c.flops);
  }
  Linear(grouped, m, groups * v.o_lora_rank, *w.wo_b, out, d, OpClass::kDenseGemm, c.flops);
}

}  // namespace infermeter::engines::reference
