// The step driver: embedding, the decoder layers (with the plain or mHC residual), the final
// norm and the LM head for the rows that want logits.
#include "model/model.h"

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "kernels/ops.h"
#include "model/layers.h"
#include "model/model_impl.h"

namespace infermeter::engines::reference {

using models::AttentionKind;
using models::FfnKind;

Model::Impl::Impl(models::Architecture a, ModelWeights w, const KvLayout& kv_layout)
    : arch(std::move(a)), traits(TraitsFor(arch)), weights(std::move(w)), layout(kv_layout) {
  view = BuildModelView(arch, traits, weights);
  if (layout.layers.size() != arch.layers.size()) {
    throw Error(fmt::format("model '{}' has {} layers, the cache layout {}", arch.name,
                            arch.layers.size(), layout.layers.size()));
  }
  for (std::size_t i = 0; i < arch.layers.size(); ++i) {
    const AttentionKind kind = arch.layers[i].attention;
    const LayerKvLayout& l = layout.layers[i];
    if (l.kind != kind) {
      throw Error(fmt::format("model '{}' layer {} is {}, the cache layout's is {}", arch.name, i,
                              models::ToString(kind), models::ToString(l.kind)));
    }
    entry_codecs.push_back(std::make_unique<EntryCodec>(arch, kind, layout.format.kv));
    const std::int64_t entry_bytes = IsV4Kind(kind) ? l.window_entry_bytes : l.token_entry_bytes;
    if (entry_codecs.back()->bytes() != entry_bytes) {
      throw Error(fmt::format("layer {}: cache entries of {} bytes, the codec writes {}", i,
                              entry_bytes, entry_codecs.back()->bytes()));
    }
    if (kind == AttentionKind::kDsa || kind == AttentionKind::kCsa) {
      key_codecs.push_back(
          std::make_unique<IndexerKeyCodec>(arch.indexer.head_dim, layout.format.indexer_keys));
      if (key_codecs.back()->bytes() != l.indexer_key_bytes) {
        throw Error(fmt::format("layer {}: indexer keys of {} bytes, the codec writes {}", i,
                                l.indexer_key_bytes, key_codecs.back()->bytes()));
      }
    } else {
      key_codecs.push_back(nullptr);
    }
  }
}

void Model::Impl::BuildStep(std::span<const ForwardSlice> slices) {
  step.slices = slices;
  step.first_row.assign(1, 0);
  step.row_slice.clear();
  step.row_position.clear();
  step.row_token.clear();
  seen_sequences.clear();
  for (std::size_t s = 0; s < slices.size(); ++s) {
    const ForwardSlice& sl = slices[s];
    const auto fail = [&](const std::string& problem) {
      throw Error(fmt::format("Model::Forward: slice {}: {}", s, problem));
    };
    if (sl.kv == nullptr) fail("no cache (kv is null)");
    seen_sequences.push_back(sl.kv);
    if (sl.count < 1 || sl.start < 0) {
      fail(fmt::format("positions [{}, {}) are empty", sl.start, sl.start + sl.count));
    }
    if (sl.start + sl.count > static_cast<std::int64_t>(sl.tokens.size())) {
      fail(fmt::format("positions up to {} but only {} token ids", sl.start + sl.count,
                       sl.tokens.size()));
    }
    if (sl.start + sl.count > sl.kv->tokens) {
      fail(fmt::format("positions up to {} but cache storage for {}", sl.start + sl.count,
                       sl.kv->tokens));
    }
    if (sl.start != sl.kv->written_tokens) {
      fail(fmt::format("starts at {} but the cache holds {} positions", sl.start,
                       sl.kv->written_tokens));
    }
    for (std::int64_t p = sl.start; p < sl.start + sl.count; ++p) {
      const TokenId t = sl.tokens[static_cast<std::size_t>(p)];
      if (t < 0 || t >= arch.vocab_size) {
        fail(fmt::format("token {} at position {} is outside the vocabulary of {}", t, p,
                         arch.vocab_size));
      }
      step.row_slice.push_back(static_cast<std::int32_t>(s));
      step.row_position.push_back(p);
      step.row_token.push_back(t);
    }
    step.first_row.push_back(step.rows());
  }
  std::sort(seen_sequences.begin(), seen_sequences.end());
  if (std::adjacent_find(seen_sequences.begin(), seen_sequences.end()) != seen_sequences.end()) {
    throw Error("Model::Forward: the same sequence appears in two slices of one step");
  }
}

LayerContext Model::Impl::Context(std::size_t layer, KvCache& cache, FlopsByOpClass& flops) {
  return LayerContext{arch,
                      traits,
                      layer,
                      view.layers[layer],
                      step,
                      cache,
                      layout.layers[layer],
                      entry_codecs[layer].get(),
                      key_codecs[layer].get(),
                      ws,
                      attention,
                      rope,
                      flops};
}

void Model::Impl::Attention(LayerContext& c, const float* x, float* out) {
  switch (c.w.spec.attention) {
    case AttentionKind::kGqa:
      GqaAttention(c, x, out);
      return;
    case AttentionKind::kMla:
    case AttentionKind::kDsa:
      MlaAttention(c, x, out);
      return;
    case AttentionKind::kSwa:
    case AttentionKind::kCsa:
    case AttentionKind::kHca:
      V4Attention(c, x, out);
      return;
  }
}

void Model::Impl::Ffn(LayerContext& c, const float* x, float* out) {
  if (c.w.spec.ffn == FfnKind::kDense) {
    DenseFfn(c, x, out);
  } else {
    MoeFfn(c, x, out);
  }
}

void Model::Impl::NormRows(const float* x, const float* weight, float* out) const {
  const std::int64_t m = step.rows();
  const std::int64_t d = arch.hidden_size;
#pragma omp parallel for schedule(static) if (m > 16)
  for (std::int64_t r = 0; r < m; ++r) {
    RmsNorm(x + r * d, weight, d, traits.norm_eps, out + r * d);
  }
}

void Model::Impl::Layer(std::size_t index, float* hidden, KvCache& cache, FlopsByOpClass& flops) {
  LayerContext c = Context(index, cache, flops);
  const LayerWeights& w = c.w;
  const std::int64_t m = step.rows();
  const std::int64_t d = arch.hidden_size;
  Workspace::Scope scope(ws);
  float* x = ws.Take(static_cast<std::size_t>(m * d));
  float* sub = ws.Take(static_cast<std::size_t>(m * d));
  if (!traits.mhc) {
    const auto add = [&] {
#pragma omp parallel for schedule(static) if (m > 16)
      for (std::int64_t i = 0; i < m * d; ++i) hidden[i] += sub[i];
    };
    NormRows(hidden, w.attn_norm, x);
    Attention(c, x, sub);
    add();
    NormRows(hidden, w.ffn_norm, x);
    Ffn(c, x, sub);
    add();
    return;
  }
  const std::int64_t n = traits.hc_mult;
  float* post = ws.Take(static_cast<std::size_t>(m * n));
  float* comb = ws.Take(static_cast<std::size_t>(m * n * n));
  MhcPre(c, w.hc_attn, hidden, x, post, comb);
  NormRows(x, w.attn_norm, x);
  Attention(c, x, sub);
  MhcPost(c, sub, post, comb, hidden);
  MhcPre(c, w.hc_ffn, hidden, x, post, comb);
  NormRows(x, w.ffn_norm, x);
  Ffn(c, x, sub);
  MhcPost(c, sub, post, comb, hidden);
}

void Model::Impl::Embed(float* hidden) const {
  const std::int64_t m = step.rows();
  const std::int64_t d = arch.hidden_size;
  const std::int64_t n = traits.hc_mult;  // 1 without mHC
  const Bf16* table = view.embed->data();
#pragma omp parallel for schedule(static) if (m > 16)
  for (std::int64_t r = 0; r < m; ++r) {
    float* row = hidden + r * n * d;
    ConvertToFloat(
        table + static_cast<std::int64_t>(step.row_token[static_cast<std::size_t>(r)]) * d, row,
        static_cast<std::size_t>(d));
    // mHC starts every stream from the embedding.
    for (std::int64_t s = 1; s < n; ++s) std::copy(row, row + d, row + s * d);
  }
}

void Model::Impl::Forward(std::span<const ForwardSlice> slices, KvCache& cache,
                          std::vector<float>& logits, FlopsByOpClass& flops) {
  BuildStep(slices);
  const std::int64_t m = step.rows();
  if (m == 0) return;
  rope.Reset(step.row_position);
  const std::int64_t d = arch.hidden_size;
  const std::int64_t n = traits.hc_mult;
  Workspace::Scope scope(ws);
  float* hidden = ws.Take(static_cast<std::size_t>(m * n * d));
  Embed(hidden);
  for (std::size_t i = 0; i < arch.layers.size(); ++i) Layer(i, hidden, cache, flops);

  // Logits for the last row of every slice that wants them.
  std::vector<std::int64_t>& rows = logit_rows;
  rows.clear();
  for (std::size_t s = 0; s < slices.size(); ++s) {
    if (slices[s].want_logits) rows.push_back(step.first_row[s + 1] - 1);
  }
  if (rows.empty()) return;
  const auto count = static_cast<std::int64_t>(rows.size());
  float* gathered = ws.Take(static_cast<std::size_t>(count * n * d));
  for (std::int64_t i = 0; i < count; ++i) {
    const float* src = hidden + rows[static_cast<std::size_t>(i)] * n * d;
    std::copy(src, src + n * d, gathered + i * n * d);
  }
  float* final_rows = gathered;
  if (traits.mhc) {
    final_rows = ws.Take(static_cast<std::size_t>(count * d));
    MhcHead(arch, traits, view.hc_head, gathered, count, final_rows, ws, flops);
  }
  for (std::int64_t i = 0; i < count; ++i) {
    RmsNorm(final_rows + i * d, view.final_norm, d, traits.norm_eps, final_rows + i * d);
  }
  const std::size_t old = logits.size();
  logits.resize(old + static_cast<std::size_t>(count * arch.vocab_size));
  Linear(final_rows, count, d, *view.head, logits.data() + old, arch.vocab_size,
         OpClass::kDenseGemm, flops);
}

Model::Model(models::Architecture arch, ModelWeights weights, const KvLayout& layout)
    : impl_(std::make_unique<Impl>(std::move(arch), std::move(weights), layout)) {}
Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

const models::Architecture& Model::arch() const { return impl_->arch; }

void Model::Forward(std::span<const ForwardSlice> slices, KvCache& cache,
                    std::vector<float>& logits, FlopsByOpClass& flops) {
  impl_->Forward(slices, cache, logits, flops);
}

}  // namespace infermeter::engines::reference
