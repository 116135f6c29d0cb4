#include "infermeter/models/params.h"

#include "shapes.h"

namespace infermeter::models {

std::int64_t ParamCounts::Total() const {
  return embedding + lm_head + attention + indexer + compressor + mhc + dense_ffn + router +
         routed_experts + shared_experts + norms;
}

std::int64_t ParamCounts::Active() const {
  const bool tied = lm_head == 0;
  return Total() - routed_experts + routed_experts_active - (tied ? 0 : embedding);
}

namespace {

// One decoder layer's parameters, added to `out`.
void AddLayer(const Architecture& a, const LayerSpec& layer, ParamCounts& out) {
  using namespace detail;
  out.attention +=
      AttentionMatmulParams(a, layer.attention) + AttentionVectorParams(a, layer.attention);
  out.indexer += IndexerMatmulParams(a, layer.attention) + IndexerVectorParams(a, layer.attention);
  out.compressor +=
      CompressorMatmulParams(a, layer.attention) + CompressorVectorParams(a, layer.attention);
  out.mhc += MhcMatmulParams(a) + MhcVectorParams(a);
  out.norms += 2 * a.hidden_size;
  if (layer.ffn == FfnKind::kDense) {
    out.dense_ffn += DenseFfnParams(a);
    return;
  }
  out.router += RouterParams(a, layer.ffn);
  out.routed_experts += a.moe.num_routed_experts * ExpertParams(a);
  out.routed_experts_active += a.moe.experts_per_token * ExpertParams(a);
  out.shared_experts += a.moe.num_shared_experts * ExpertParams(a);
}

}  // namespace

ParamCounts CountParams(const Architecture& a) {
  ParamCounts p;
  p.embedding = a.vocab_size * a.hidden_size;
  p.lm_head = a.tie_word_embeddings ? 0 : a.vocab_size * a.hidden_size;
  p.norms = a.hidden_size;  // final norm
  p.mhc = detail::MhcHeadMatmulParams(a) + detail::MhcHeadVectorParams(a);
  for (const auto& layer : a.layers) AddLayer(a, layer, p);

  if (a.mtp_layers > 0 && !a.layers.empty()) {
    // An MTP module is one more decoder layer (V4's attends through the sliding window only)
    // plus eh_proj [hidden, 2 hidden] and the enorm/hnorm/final norms; it reuses the main
    // model's embedding and LM head.
    LayerSpec mtp_layer = a.layers.back();
    if (mtp_layer.attention == AttentionKind::kCsa || mtp_layer.attention == AttentionKind::kHca) {
      mtp_layer.attention = AttentionKind::kSwa;
    }
    if (mtp_layer.ffn == FfnKind::kHashMoe) mtp_layer.ffn = FfnKind::kMoe;
    ParamCounts one;
    AddLayer(a, mtp_layer, one);
    const std::int64_t layer_total = one.Total();
    p.mtp = a.mtp_layers * (layer_total + 2 * a.hidden_size * a.hidden_size + 3 * a.hidden_size);
  }
  return p;
}

}  // namespace infermeter::models
