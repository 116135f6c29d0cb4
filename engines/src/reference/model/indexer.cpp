#include "model/indexer.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/ops.h"
#include "model/attention_bf16.h"
#include "model/compressor.h"
#include "model/shared_keys.h"
#include "model/simd.h"

namespace infermeter::engines::reference {
namespace {

constexpr std::int64_t kRowBlock = 8;    // query rows that share each decoded key tile
constexpr std::int64_t kKeyChunk = 256;  // keys per task (decode: 4 tasks per 1K keys)
constexpr std::int64_t kTile = 32;       // keys decoded at a time

struct Task {
  std::int64_t row_begin;
  std::int64_t row_end;
  std::int64_t key_begin;
  std::int64_t key_end;
};

// scores[offset[r] + s] = sum_j w_j * ReLU(q_j . k_s) for s < keys[r], for every step row r.
// Returns the FLOPs: per (row, key) a head_dim dot product and a weighted add per head.
double Score(LayerContext& c, const float* q, const float* weights, const std::int64_t* keys,
             const std::int64_t* offset, float* scores) {
  const std::int64_t heads = c.arch.indexer.num_heads;
  const std::int64_t dim = c.arch.indexer.head_dim;
  const Step& step = c.step;
  // Tasks: blocks of consecutive rows of one slice against a chunk of keys, so a decoded key
  // tile serves several rows.
  std::int64_t n_tasks = 0;
  double pairs = 0;
  for (std::size_t s = 0; s < step.slices.size(); ++s) {
    for (std::int64_t r0 = step.first_row[s]; r0 < step.first_row[s + 1]; r0 += kRowBlock) {
      const std::int64_t r1 = std::min(step.first_row[s + 1], r0 + kRowBlock);
      std::int64_t most = 0;
      for (std::int64_t r = r0; r < r1; ++r) most = std::max(most, keys[r]);
      n_tasks += (most + kKeyChunk - 1) / kKeyChunk;
    }
  }
  auto* tasks = c.ws.TakeAs<Task>(static_cast<std::size_t>(std::max<std::int64_t>(1, n_tasks)));
  std::int64_t next = 0;
  for (std::size_t s = 0; s < step.slices.size(); ++s) {
    for (std::int64_t r0 = step.first_row[s]; r0 < step.first_row[s + 1]; r0 += kRowBlock) {
      const std::int64_t r1 = std::min(step.first_row[s + 1], r0 + kRowBlock);
      std::int64_t most = 0;
      for (std::int64_t r = r0; r < r1; ++r) {
        most = std::max(most, keys[r]);
        pairs += static_cast<double>(keys[r]);
      }
      for (std::int64_t k0 = 0; k0 < most; k0 += kKeyChunk) {
        tasks[next++] = {r0, r1, k0, std::min(most, k0 + kKeyChunk)};
      }
    }
  }
  // BF16 dot products where the CPU has them (8+ heads share each key, as in attention);
  // queries are rounded once for all tasks, shared keys once per slice, others per tile.
  const bool bf16 = UseBf16Attention(heads) && dim == Bf16PaddedDim(dim);
  const Bf16* q_bf16 = nullptr;
  if (bf16) {
    const std::int64_t q_rows = step.rows() * heads;
    auto* packed = c.ws.TakeAs<Bf16>(static_cast<std::size_t>(q_rows * dim));
#pragma omp parallel for schedule(static) if (q_rows > 256)
    for (std::int64_t b = 0; b < q_rows; b += 64) {
      PackRowsBf16(q + b * dim, dim, std::min<std::int64_t>(64, q_rows - b), dim, packed + b * dim);
    }
    q_bf16 = packed;
  }
  c.attention.thread.Reserve(static_cast<std::size_t>(kTile * dim + (bf16 ? kTile * dim / 2 : 0)));
  KvCache& cache = c.cache;
  const IndexerKeyCodec& codec = *c.key_codec;
  const std::size_t layer = c.layer;
  ThreadScratch& scratch = c.attention.thread;
  // Slices with many rows decode their keys once; the others tile by tile in each task.
  const auto n_slices = static_cast<std::int64_t>(step.slices.size());
  auto* shared = c.ws.TakeAs<const float*>(static_cast<std::size_t>(n_slices));
  auto* shared_bf16 = c.ws.TakeAs<const Bf16*>(static_cast<std::size_t>(n_slices));
  for (std::int64_t s = 0; s < n_slices; ++s) {
    const auto first = static_cast<std::size_t>(s);
    const std::int64_t rows = step.first_row[first + 1] - step.first_row[first];
    const std::int64_t most =
        rows > 0 ? keys[step.first_row[first + 1] - 1] : 0;  // the last row sees the most
    shared[s] = nullptr;
    shared_bf16[s] = nullptr;
    if (most == 0 || !ShareKeys(rows, most * dim)) continue;
    float* decoded = c.ws.Take(static_cast<std::size_t>(most * dim));
    const SequenceKv& seq = *step.slices[first].kv;
    DecodeRows(
        0, most, dim,
        [&](std::int64_t i) {
          return static_cast<const std::uint8_t*>(cache.IndexerKey(seq, layer, i));
        },
        [&](const std::uint8_t* in, float* out) { codec.Decode(in, out); }, decoded);
    shared[s] = decoded;
    if (bf16) {
      auto* packed = c.ws.TakeAs<Bf16>(static_cast<std::size_t>(most * dim));
#pragma omp parallel for schedule(static) if (most > 64)
      for (std::int64_t b = 0; b < most; b += 64) {
        PackRowsBf16(decoded + b * dim, dim, std::min<std::int64_t>(64, most - b), dim,
                     packed + b * dim);
      }
      shared_bf16[s] = packed;
    }
  }
#pragma omp parallel for schedule(dynamic, 1) if (n_tasks > 1)
  for (std::int64_t t = 0; t < n_tasks; ++t) {
    const Task task = tasks[t];
    const SequenceKv& seq = step.kv(task.row_begin);
    const std::int32_t slice = step.row_slice[static_cast<std::size_t>(task.row_begin)];
    const float* decoded = shared[slice];
    float* buffer = scratch.Get(omp_get_thread_num());
    auto* buffer_bf16 = reinterpret_cast<Bf16*>(buffer + kTile * dim);
    for (std::int64_t k0 = task.key_begin; k0 < task.key_end; k0 += kTile) {
      const std::int64_t n = std::min(kTile, task.key_end - k0);
      const float* tile = decoded != nullptr ? decoded + k0 * dim : buffer;
      if (decoded == nullptr) {
        for (std::int64_t j = 0; j < n; ++j) {
          codec.Decode(cache.IndexerKey(seq, layer, k0 + j), buffer + j * dim);
        }
      }
      const Bf16* tile_bf16 = nullptr;
      if (bf16) {
        if (shared_bf16[slice] != nullptr) {
          tile_bf16 = shared_bf16[slice] + k0 * dim;
        } else {
          PackRowsBf16(tile, dim, n, dim, buffer_bf16);
          tile_bf16 = buffer_bf16;
        }
      }
      for (std::int64_t r = task.row_begin; r < task.row_end; ++r) {
        const std::int64_t visible = std::min(n, keys[r] - k0);
        const float* wr = weights + r * heads;
        if (bf16) {
          IndexerTileBf16(q_bf16 + r * heads * dim, heads, dim, wr, tile_bf16, visible,
                          scores + offset[r] + k0);
        } else {
          IndexerTile(q + r * heads * dim, heads, dim, wr, tile, visible, scores + offset[r] + k0);
        }
      }
    }
  }
  return pairs * (2.0 * static_cast<double>(heads * dim) + 2.0 * static_cast<double>(heads));
}

// Scores every row's keys[r] keys and keeps, per row, the top_k highest-scoring ones (in
// ascending key order; ties go to the lower key), or all of them when there are at most
// top_k. The selection is allocated in c.ws at the caller's scope.
KeySelection ScoreAndSelect(LayerContext& c, const float* q, const float* weights,
                            const std::int64_t* keys) {
  const std::int64_t m = c.step.rows();
  const std::int64_t top_k = c.arch.indexer.top_k;
  auto* counts = c.ws.TakeAs<std::int64_t>(static_cast<std::size_t>(m));
  auto* lists = c.ws.TakeAs<const std::int32_t*>(static_cast<std::size_t>(m));
  auto* list_at = c.ws.TakeAs<std::int64_t>(static_cast<std::size_t>(m));
  std::int64_t stored = 0;
  std::int64_t most = 0;
  for (std::int64_t r = 0; r < m; ++r) {
    counts[r] = std::min(keys[r], top_k);
    list_at[r] = keys[r] > top_k ? stored : -1;
    if (keys[r] > top_k) stored += top_k;
    most = std::max(most, keys[r]);
  }
  auto* storage =
      c.ws.TakeAs<std::int32_t>(static_cast<std::size_t>(std::max<std::int64_t>(1, stored)));

  Workspace::Scope scope(c.ws);
  auto* offset = c.ws.TakeAs<std::int64_t>(static_cast<std::size_t>(m));
  std::int64_t total = 0;
  for (std::int64_t r = 0; r < m; ++r) {
    offset[r] = total;
    total += keys[r];
  }
  float* scores = c.ws.Take(static_cast<std::size_t>(std::max<std::int64_t>(1, total)));
  AddFlops(c.flops, OpClass::kIndexer, Score(c, q, weights, keys, offset, scores));

  c.attention.thread.Reserve(static_cast<std::size_t>(most));
  ThreadScratch& scratch = c.attention.thread;
#pragma omp parallel for schedule(dynamic, 1) if (m > 1)
  for (std::int64_t r = 0; r < m; ++r) {
    if (list_at[r] < 0) {
      lists[r] = nullptr;
      continue;
    }
    auto* order = reinterpret_cast<std::int32_t*>(scratch.Get(omp_get_thread_num()));
    std::iota(order, order + keys[r], 0);
    const float* s = scores + offset[r];
    std::nth_element(order, order + top_k, order + keys[r], [s](std::int32_t a, std::int32_t b) {
      return s[a] > s[b] || (s[a] == s[b] && a < b);
    });
    std::int32_t* out = storage + list_at[r];
    std::copy(order, order + top_k, out);
    std::sort(out, out + top_k);
    lists[r] = out;
  }
  return {counts, lists};
}

// The indexer's weights: weights_proj(x) * n_heads^-0.5 * head_dim^-0.5 (DeepSeek folds the
// softmax scale into them).
float* HeadWeights(LayerContext& c, const float* x) {
  const std::int64_t m = c.step.rows();
  const std::int64_t heads = c.arch.indexer.num_heads;
  float* w = c.ws.Take(static_cast<std::size_t>(m * heads));
  Linear(x, m, c.arch.hidden_size, *c.w.idx_weights, w, heads, OpClass::kIndexer, c.flops);
  const float scale = 1.0f / std::sqrt(static_cast<float>(heads * c.arch.indexer.head_dim));
  for (std::int64_t i = 0; i < m * heads; ++i) w[i] *= scale;
  return w;
}

}  // namespace

KeySelection DsaIndexer(LayerContext& c, const float* x, const float* qr) {
  const auto& a = c.arch;
  const LayerWeights& w = c.w;
  const std::int64_t m = c.step.rows();
  const std::int64_t heads = a.indexer.num_heads;
  const std::int64_t dim = a.indexer.head_dim;
  const std::int64_t rope_dims = a.mla.qk_rope_head_dim;
  auto* keys = c.ws.TakeAs<std::int64_t>(static_cast<std::size_t>(m));
  for (std::int64_t r = 0; r < m; ++r)
    keys[r] = c.step.row_position[static_cast<std::size_t>(r)] + 1;
  // Scratch below the selection, which must outlive this function: taken first, released by
  // the caller's scope like the selection.
  float* q = c.ws.Take(static_cast<std::size_t>(m * heads * dim));
  float* k = c.ws.Take(static_cast<std::size_t>(m * dim));
  Linear(qr, m, a.mla.q_lora_rank, *w.idx_wq_b, q, heads * dim, OpClass::kIndexer, c.flops);
  Linear(x, m, a.hidden_size, *w.idx_wk, k, dim, OpClass::kIndexer, c.flops);
  float* weights = HeadWeights(c, x);
  // V3.2: RoPE (rotate_half form) on the first rope dims of q and k; LayerNorm on k. The
  // Hadamard rotation before quantisation is left out (it changes no score in exact arithmetic).
  const RopeTable& rope = c.rope.Get(rope_dims, c.traits.rope_theta);
  const IndexerKeyCodec& codec = *c.key_codec;
#pragma omp parallel for schedule(static) if (m > 16)
  for (std::int64_t r = 0; r < m; ++r) {
    float* kr = k + r * dim;
    LayerNorm(kr, w.idx_k_norm, w.idx_k_bias, dim, c.traits.norm_eps, kr);
    rope.Rotate(kr, r, RopeStyle::kHalf);
    for (std::int64_t h = 0; h < heads; ++h)
      rope.Rotate(q + (r * heads + h) * dim, r, RopeStyle::kHalf);
    codec.Encode(kr, c.cache.IndexerKey(c.step.kv(r), c.layer,
                                        c.step.row_position[static_cast<std::size_t>(r)]));
  }
  return ScoreAndSelect(c, q, weights, keys);
}

KeySelection CsaIndexer(LayerContext& c, const float* x, const float* qr) {
  const auto& a = c.arch;
  const LayerWeights& w = c.w;
  const std::int64_t m = c.step.rows();
  const std::int64_t heads = a.indexer.num_heads;
  const std::int64_t dim = a.indexer.head_dim;
  const std::int64_t rope_dims = a.v4.rope_head_dim;
  // This step's new index keys first: a row sees every entry whose block ended at or before it.
  RunCompressor(c, w.idx_compressor, x, CompressorRole::kIndexerKey);
  auto* keys = c.ws.TakeAs<std::int64_t>(static_cast<std::size_t>(m));
  for (std::int64_t r = 0; r < m; ++r) {
    keys[r] = (c.step.row_position[static_cast<std::size_t>(r)] + 1) / a.v4.csa_ratio_tokens;
  }
  float* q = c.ws.Take(static_cast<std::size_t>(m * heads * dim));
  Linear(qr, m, a.v4.q_lora_rank, *w.idx_wq_b, q, heads * dim, OpClass::kIndexer, c.flops);
  float* weights = HeadWeights(c, x);
  // V4: RoPE on the last rope dims of each query head (the keys got theirs in the compressor);
  // the Hadamard rotation and FP4 quantisation of q are left out.
  const RopeTable& rope = c.rope.Get(rope_dims, c.traits.compress_rope_theta);
#pragma omp parallel for schedule(static) if (m > 16)
  for (std::int64_t r = 0; r < m; ++r) {
    for (std::int64_t h = 0; h < heads; ++h) {
      rope.Rotate(q + (r * heads + h) * dim + dim - rope_dims, r, RopeStyle::kInterleaved);
    }
  }
  return ScoreAndSelect(c, q, weights, keys);
}

}  // namespace infermeter::engines::reference
