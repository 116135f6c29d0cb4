#pragma once
// The attention kernel every attention kind shares: for each query, softmax(q.k * scale) over
// its list of keys (plus an optional per-head sink logit in the denominator), times the values.
// Keys are fetched a tile at a time by the caller's Fetch (decoded from the cache, or pointers
// to rows decoded once for every query of a slice) and folded into an online softmax (running max,
// running sum, weighted values), so no query ever needs its whole key list in memory. Queries with
// many keys and too few queries to keep every thread busy (decode) are split into key ranges that
// run in parallel and are merged at the end, as FlashDecoding does.
//
// A fetched key row holds `groups` key vectors and `groups` value vectors at fixed offsets;
// each group is shared by heads_per_group query heads (GQA: a kv head; MLA absorbed and V4:
// one group shared by every head; MLA expanded: one group per head).

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "model/attention_bf16.h"
#include "model/simd.h"
#include "model/workspace.h"

namespace infermeter::engines::reference {

struct HeadLayout {
  std::int64_t groups = 1;
  std::int64_t heads_per_group = 1;
  std::int64_t q_dim = 0;  // width of the q.k dot product
  std::int64_t v_dim = 0;  // width of a value
  std::int64_t key_offset = 0;
  std::int64_t key_group_stride = 0;
  std::int64_t value_offset = 0;
  std::int64_t value_group_stride = 0;
  std::int64_t row_floats = 0;  // floats per fetched key row
  float scale = 1.0f;

  std::int64_t heads() const { return groups * heads_per_group; }
  // Multiply-adds of one (query, key) pair, 2 FLOPs each: q.k and p*v for every head.
  double FlopsPerKey() const {
    return 2.0 * static_cast<double>(heads()) * static_cast<double>(q_dim + v_dim);
  }
};

struct AttentionQuery {
  const float* q = nullptr;  // heads() rows of q_dim floats, q_stride apart
  float* out = nullptr;      // heads() rows of v_dim floats, out_stride apart
  std::int64_t keys = 0;     // keys in this query's list
};

struct AttentionScratch {
  ThreadScratch thread;         // per thread: tile, scores, running state
  std::vector<float> partials;  // split queries' partial states
  struct Item {
    std::int64_t query;
    std::int64_t begin;
    std::int64_t end;
    std::int64_t partial;  // -1: the item covers the whole query and writes its output
  };
  std::vector<Item> items;
  std::vector<std::int64_t> first_partial;  // per query, -1 when not split
};

namespace attention_detail {

constexpr std::int64_t kTileKeys = 32;
constexpr std::int64_t kChunkKeys = 256;         // keys per parallel part of one query
constexpr std::int64_t kMaxWavePartials = 4096;  // partial states held at once

// Running state of one (query, key range): per head max m, sum l and v_dim accumulators.
struct State {
  float* m;
  float* l;
  float* acc;
};

// BF16 copies of a range's queries and of the current tile (null pointers: the FP32 kernels).
struct Bf16Tile {
  Bf16* q = nullptr;       // heads() rows of Bf16PaddedDim(q_dim)
  Bf16* keys = nullptr;    // kTileKeys rows of Bf16PaddedDim(q_dim)
  Bf16* values = nullptr;  // kTileKeys rows of Bf16PaddedDim(v_dim), unless SharesKeys

  // Floats of scratch the three buffers take.
  static std::int64_t Floats(const HeadLayout& hl) {
    const std::int64_t qp = Bf16PaddedDim(hl.q_dim);
    return (hl.heads() * qp + kTileKeys * qp + kTileKeys * Bf16PaddedDim(hl.v_dim)) / 2;
  }
  static Bf16Tile In(const HeadLayout& hl, float* buf) {
    const std::int64_t qp = Bf16PaddedDim(hl.q_dim);
    Bf16Tile t;
    t.q = reinterpret_cast<Bf16*>(buf);
    t.keys = t.q + hl.heads() * qp;
    t.values = t.keys + kTileKeys * qp;
    return t;
  }
  // Values are the leading v_dim floats of each key (V4's shared KV, MLA's latent): the packed
  // key tile serves as the value tile.
  static bool SharesKeys(const HeadLayout& hl) {
    return hl.value_offset == hl.key_offset && hl.value_group_stride == hl.key_group_stride &&
           hl.v_dim <= hl.q_dim;
  }
};

template <class Fetch, class FetchBf16>
void AttendRange(const HeadLayout& hl, const float* q, std::int64_t q_stride, std::int64_t query,
                 std::int64_t begin, std::int64_t end, Fetch& fetch, FetchBf16& fetch_bf16,
                 float* tile, float* scores, State st, Bf16Tile bf) {
  const std::int64_t heads = hl.heads();
  const std::int64_t q_padded = Bf16PaddedDim(hl.q_dim);
  // Queries are rounded once per range, whichever chunk of the query it is.
  if (bf.q != nullptr) PackRowsBf16(q, q_stride, heads, hl.q_dim, bf.q);
  for (std::int64_t h = 0; h < heads; ++h) {
    st.m[h] = -std::numeric_limits<float>::infinity();
    st.l[h] = 0;
  }
  std::fill(st.acc, st.acc + heads * hl.v_dim, 0.0f);
  for (std::int64_t k0 = begin; k0 < end; k0 += kTileKeys) {
    const std::int64_t n = std::min(kTileKeys, end - k0);
    const float* rows[kTileKeys];
    const Bf16* packed[kTileKeys];
    // BF16 rows already rounded once for many queries (see RunAttention), or floats to round.
    const bool prepacked = bf.q != nullptr && hl.groups == 1 && Bf16Tile::SharesKeys(hl) &&
                           fetch_bf16(query, k0, n, packed);
    if (!prepacked) fetch(query, k0, n, tile, rows);
    for (std::int64_t g = 0; g < hl.groups; ++g) {
      const std::int64_t key_at = hl.key_offset + g * hl.key_group_stride;
      const std::int64_t value_at = hl.value_offset + g * hl.value_group_stride;
      const std::int64_t h0 = g * hl.heads_per_group;
      // Scores of this group's heads against the tile.
      if (bf.q != nullptr) {
        if (!prepacked) {
          PackTileBf16(rows, key_at, n, hl.q_dim, bf.keys);
          for (std::int64_t j = 0; j < n; ++j) packed[j] = bf.keys + j * q_padded;
        }
        TileScoresBf16(bf.q + h0 * q_padded, hl.heads_per_group, packed, n, q_padded, hl.scale,
                       scores, kTileKeys);
      } else {
        TileScores(q + h0 * q_stride, q_stride, hl.heads_per_group, rows, key_at, n, hl.q_dim,
                   hl.scale, scores, kTileKeys);
      }
      // Online softmax: rescale what was accumulated to the new running max (the factor is
      // applied inside TileAccumulate), add the tile.
      float* rescale = scores + hl.heads_per_group * kTileKeys;
      for (std::int64_t hh = 0; hh < hl.heads_per_group; ++hh) {
        const std::int64_t h = h0 + hh;
        rescale[hh] = SoftmaxTile(scores + hh * kTileKeys, n, &st.m[h], &st.l[h]);
      }
      if (bf.q != nullptr) {
        const Bf16* const* values = packed;
        const Bf16* value_rows[kTileKeys];
        if (!Bf16Tile::SharesKeys(hl)) {
          PackTileBf16(rows, value_at, n, hl.v_dim, bf.values);
          const std::int64_t v_padded = Bf16PaddedDim(hl.v_dim);
          for (std::int64_t j = 0; j < n; ++j) value_rows[j] = bf.values + j * v_padded;
          values = value_rows;
        }
        TileAccumulateBf16(scores, kTileKeys, hl.heads_per_group, values, n, hl.v_dim, rescale,
                           st.acc + h0 * hl.v_dim, hl.v_dim);
      } else {
        TileAccumulate(scores, kTileKeys, hl.heads_per_group, rows, value_at, n, hl.v_dim, rescale,
                       st.acc + h0 * hl.v_dim, hl.v_dim);
      }
    }
  }
}

// out = acc / (l + exp(sink - m)) per head.
inline void Finish(const HeadLayout& hl, const float* m, const float* l, const float* acc,
                   const float* sinks, float* out, std::int64_t out_stride) {
  for (std::int64_t h = 0; h < hl.heads(); ++h) {
    float denom = l[h];
    if (sinks != nullptr) denom += std::exp(sinks[h] - m[h]);
    const float inv = denom > 0 ? 1.0f / denom : 0.0f;
    float* o = out + h * out_stride;
    const float* a = acc + h * hl.v_dim;
    for (std::int64_t i = 0; i < hl.v_dim; ++i) o[i] = a[i] * inv;
  }
}

}  // namespace attention_detail

// Runs every query; returns the FLOPs executed (FlopsPerKey() per (query, key) pair).
// fetch(query_index, first_key, count, tile, rows) sets rows[0..count) to the key rows of
// row_floats floats (decoded into `tile`, which has room for kTileKeys rows, or pointing at
// rows decoded once for many queries); it is called from many threads at once. `sinks` holds one
// logit per head, or is null.
//
// A query's keys are cut into fixed chunks of kChunkKeys (the cut depends on nothing but the
// query's own key count), each chunk's partial state is computed on some thread and the parts
// are merged in order. The result is therefore the same bits whatever the thread count and
// whichever other queries share the step, while decode queries with long lists still use
// every thread. Queries run in waves so the partial states stay bounded for long prefills.
//
// fetch_bf16(query_index, first_key, count, rows), where given, may instead set rows[0..count)
// to the same keys already rounded to BF16 (rows of Bf16PaddedDim(q_dim) values, zeros past
// q_dim) and return true; it is only asked when the BF16 kernels run, and only for layouts
// whose values lead their keys in one group (Bf16Tile::SharesKeys, groups == 1). Rounding is
// deterministic, so either source gives the same bits.
template <class Fetch, class FetchBf16>
double RunAttention(const HeadLayout& hl, std::int64_t q_stride, std::int64_t out_stride,
                    std::span<const AttentionQuery> queries, const float* sinks, Fetch&& fetch,
                    AttentionScratch& scratch, FetchBf16&& fetch_bf16) {
  namespace ad = attention_detail;
  const std::int64_t heads = hl.heads();
  const std::int64_t state_floats = heads * (2 + hl.v_dim);
  const std::int64_t tile_floats = ad::kTileKeys * hl.row_floats;
  // Scores of a tile, then one rescale factor per head.
  const std::int64_t score_floats = (ad::kTileKeys + 1) * hl.heads_per_group;
  // Decided once per call so every query of the call (and of any chunking of the same
  // prefill) runs the same kernels.
  const bool bf16 = UseBf16Attention(hl.heads_per_group);
  const std::int64_t bf16_floats = bf16 ? ad::Bf16Tile::Floats(hl) : 0;
  scratch.thread.Reserve(
      static_cast<std::size_t>(tile_floats + score_floats + state_floats + bf16_floats));
  const auto n_queries = static_cast<std::int64_t>(queries.size());

  for (std::int64_t wave_begin = 0; wave_begin < n_queries;) {
    // Items of this wave: one per chunk; multi-chunk queries get partial-state slots.
    scratch.items.clear();
    scratch.first_partial.clear();
    std::int64_t partials = 0;
    std::int64_t wave_end = wave_begin;
    for (; wave_end < n_queries && partials < ad::kMaxWavePartials; ++wave_end) {
      const std::int64_t keys = queries[static_cast<std::size_t>(wave_end)].keys;
      const std::int64_t chunks =
          std::max<std::int64_t>(1, (keys + ad::kChunkKeys - 1) / ad::kChunkKeys);
      if (chunks == 1) {
        scratch.first_partial.push_back(-1);
        scratch.items.push_back({wave_end, 0, keys, -1});
        continue;
      }
      scratch.first_partial.push_back(partials);
      for (std::int64_t b = 0; b < keys; b += ad::kChunkKeys) {
        scratch.items.push_back({wave_end, b, std::min(keys, b + ad::kChunkKeys), partials++});
      }
    }
    if (scratch.partials.size() < static_cast<std::size_t>(partials * state_floats)) {
      scratch.partials.resize(static_cast<std::size_t>(partials * state_floats));
    }

    const auto n_items = static_cast<std::int64_t>(scratch.items.size());
    // A lone item (a decode query of at most kChunkKeys keys) runs on this thread: waking the
    // team would cost more than it saves.
#pragma omp parallel for schedule(dynamic, 1) if (n_items > 1)
    for (std::int64_t it = 0; it < n_items; ++it) {
      const auto& item = scratch.items[static_cast<std::size_t>(it)];
      const AttentionQuery& q = queries[static_cast<std::size_t>(item.query)];
      float* buf = scratch.thread.Get(omp_get_thread_num());
      float* tile = buf;
      float* scores = tile + tile_floats;
      float* state = item.partial >= 0 ? scratch.partials.data() + item.partial * state_floats
                                       : scores + score_floats;
      ad::State st{state, state + heads, state + 2 * heads};
      const ad::Bf16Tile bf =
          bf16 ? ad::Bf16Tile::In(hl, scores + score_floats + state_floats) : ad::Bf16Tile{};
      ad::AttendRange(hl, q.q, q_stride, item.query, item.begin, item.end, fetch, fetch_bf16, tile,
                      scores, st, bf);
      if (item.partial < 0) ad::Finish(hl, st.m, st.l, st.acc, sinks, q.out, out_stride);
    }

    // Merge each multi-chunk query's parts in chunk order, rescaled to their common max.
    if (partials > 0) {
#pragma omp parallel for schedule(dynamic, 1) if (wave_end - wave_begin > 1)
      for (std::int64_t qi = wave_begin; qi < wave_end; ++qi) {
        const std::int64_t first = scratch.first_partial[static_cast<std::size_t>(qi - wave_begin)];
        if (first < 0) continue;
        const AttentionQuery& q = queries[static_cast<std::size_t>(qi)];
        const std::int64_t parts = (q.keys + ad::kChunkKeys - 1) / ad::kChunkKeys;
        float* merged = scratch.thread.Get(omp_get_thread_num());
        float* m = merged;
        float* l = m + heads;
        float* acc = l + heads;
        for (std::int64_t h = 0; h < heads; ++h) {
          m[h] = -std::numeric_limits<float>::infinity();
          for (std::int64_t p = 0; p < parts; ++p) {
            m[h] = std::max(
                m[h], scratch.partials[static_cast<std::size_t>((first + p) * state_floats + h)]);
          }
          l[h] = 0;
          float* a = acc + h * hl.v_dim;
          std::fill(a, a + hl.v_dim, 0.0f);
          for (std::int64_t p = 0; p < parts; ++p) {
            const float* part = scratch.partials.data() + (first + p) * state_floats;
            const float w = std::exp(part[h] - m[h]);
            l[h] += part[heads + h] * w;
            const float* pa = part + 2 * heads + h * hl.v_dim;
            for (std::int64_t i = 0; i < hl.v_dim; ++i) a[i] += pa[i] * w;
          }
        }
        ad::Finish(hl, m, l, acc, sinks, q.out, out_stride);
      }
    }
    wave_begin = wave_end;
  }
  double flops = 0;
  for (const auto& q : queries) flops += static_cast<double>(q.keys) * hl.FlopsPerKey();
  return flops;
}

// Without pre-rounded BF16 keys.
template <class Fetch>
double RunAttention(const HeadLayout& hl, std::int64_t q_stride, std::int64_t out_stride,
                    std::span<const AttentionQuery> queries, const float* sinks, Fetch&& fetch,
                    AttentionScratch& scratch) {
  const auto none = [](std::int64_t, std::int64_t, std::int64_t, const Bf16**) { return false; };
  return RunAttention(hl, q_stride, out_stride, queries, sinks, fetch, scratch, none);
}

}  // namespace infermeter::engines::reference
