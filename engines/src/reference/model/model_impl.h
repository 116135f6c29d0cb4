#pragma once
// Model's private state, visible to model.cpp and to the benchmark hooks (model/bench_hooks.h).

#include <memory>
#include <vector>

#include "kernels/kv_codec.h"
#include "model/forward_context.h"
#include "model/layer_weights.h"
#include "model/model.h"

namespace infermeter::engines::reference {

struct Model::Impl {
  Impl(models::Architecture arch, ModelWeights weights, const KvLayout& layout);

  void Forward(std::span<const ForwardSlice> slices, KvCache& cache, std::vector<float>& logits,
               FlopsByOpClass& flops);

  // Validates the slices and lays out the step's rows.
  void BuildStep(std::span<const ForwardSlice> slices);
  LayerContext Context(std::size_t layer, KvCache& cache, FlopsByOpClass& flops);
  void Embed(float* hidden) const;
  void Layer(std::size_t index, float* hidden, KvCache& cache, FlopsByOpClass& flops);
  void Attention(LayerContext& c, const float* x, float* out);
  void Ffn(LayerContext& c, const float* x, float* out);
  void NormRows(const float* x, const float* weight, float* out) const;

  models::Architecture arch;
  ModelTraits traits;
  ModelWeights weights;
  KvLayout layout;
  ModelView view;
  std::vector<std::unique_ptr<EntryCodec>> entry_codecs;
  std::vector<std::unique_ptr<IndexerKeyCodec>> key_codecs;

  // Per step.
  Step step;
  Workspace ws;
  AttentionScratch attention;
  RopeTables rope;
  std::vector<std::int64_t> logit_rows;
  std::vector<const SequenceKv*> seen_sequences;
};

}  // namespace infermeter::engines::reference
