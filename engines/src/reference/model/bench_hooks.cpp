#include "model/bench_hooks.h"

#include <algorithm>
#include <vector>

#include "kernels/ops.h"
#include "model/layers.h"
#include "model/model_impl.h"

namespace infermeter::engines::reference {
namespace {

// Unit-RMS pseudo-random values, like the normed vectors the model writes.
void RandomVector(std::uint64_t seed, std::int64_t n, float* out) {
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
  for (std::int64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] =
        static_cast<float>(static_cast<double>(x >> 11) / 4503599627370496.0 * 3.4641 - 1.7320);
  }
}

}  // namespace

void ForwardAttentionOnly(Model& model, std::size_t layer, std::span<const ForwardSlice> slices,
                          KvCache& cache, FlopsByOpClass& flops) {
  Model::Impl& m = *model.impl_;
  m.BuildStep(slices);
  const std::int64_t rows = m.step.rows();
  const std::int64_t d = m.arch.hidden_size;
  const std::int64_t n = m.traits.hc_mult;
  m.rope.Reset(m.step.row_position);
  Workspace::Scope scope(m.ws);
  float* hidden = m.ws.Take(static_cast<std::size_t>(rows * n * d));
  float* x = m.ws.Take(static_cast<std::size_t>(rows * d));
  float* out = m.ws.Take(static_cast<std::size_t>(rows * d));
  m.Embed(hidden);
  LayerContext c = m.Context(layer, cache, flops);
  if (m.traits.mhc) {
    float* post = m.ws.Take(static_cast<std::size_t>(rows * n));
    float* comb = m.ws.Take(static_cast<std::size_t>(rows * n * n));
    MhcPre(c, c.w.hc_attn, hidden, x, post, comb);
    m.NormRows(x, c.w.attn_norm, x);
  } else {
    m.NormRows(hidden, c.w.attn_norm, x);
  }
  m.Attention(c, x, out);
}

void FillCacheForBench(const Model& model, KvCache& cache, const SequenceKv& seq,
                       std::int64_t tokens, std::uint64_t seed) {
  const Model::Impl& m = *model.impl_;
  for (std::size_t layer = 0; layer < m.layout.layers.size(); ++layer) {
    const LayerKvLayout& l = m.layout.layers[layer];
    const EntryCodec* entry = m.entry_codecs[layer].get();
    const IndexerKeyCodec* key = m.key_codecs[layer].get();
    const std::int64_t entry_floats = entry->elements();
    const std::int64_t compressed =
        l.tokens_per_compressed > 0 ? tokens / l.tokens_per_compressed : 0;
    const std::int64_t keys = l.tokens_per_indexer_key > 0 ? tokens / l.tokens_per_indexer_key : 0;
    const std::uint64_t base = seed * 1000003 + layer * 7919;
#pragma omp parallel
    {
      std::vector<float> values(
          static_cast<std::size_t>(std::max<std::int64_t>(entry_floats, 512)));
#pragma omp for schedule(static)
      for (std::int64_t p = 0; p < tokens; ++p) {
        RandomVector(base + static_cast<std::uint64_t>(p), entry_floats, values.data());
        if (l.token_entry_bytes > 0) entry->Encode(values.data(), cache.TokenEntry(seq, layer, p));
        // Only the last window's raw entries are ever read again.
        if (l.window_entry_bytes > 0 && p >= tokens - m.layout.window_tokens) {
          entry->Encode(values.data(), cache.WindowEntry(seq, layer, p));
        }
        if (p < compressed) entry->Encode(values.data(), cache.CompressedEntry(seq, layer, p));
        if (p < keys) {
          RandomVector(base + 0x5bd1e995ULL + static_cast<std::uint64_t>(p), key->elements(),
                       values.data());
          key->Encode(values.data(), cache.IndexerKey(seq, layer, p));
        }
      }
    }
  }
}

}  // namespace infermeter::engines::reference
