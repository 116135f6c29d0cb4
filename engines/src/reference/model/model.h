#pragma once
// The forward pass of the reference engine: DeepSeek-V4-family inference (and the GQA, MLA and
// DSA baselines) on the CPU, counting the FLOPs it executes by the cost model's op classes.
//
// One Forward call is one engine step: every slice's new positions go through all layers
// together, linear layers as one MatMul over the concatenated tokens of all slices, attention
// per (slice, token, head). Only one thread calls Forward; it parallelises inside with OpenMP.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "infermeter/core/engine.h"
#include "infermeter/models/architecture.h"
#include "kv/kv_cache.h"
#include "kv/kv_layout.h"
#include "model/weights.h"

namespace infermeter::engines::reference {

// Positions [start, start + count) of one sequence to run in this step.
struct ForwardSlice {
  std::span<const TokenId> tokens;  // the whole sequence so far (at least start + count ids)
  const SequenceKv* kv = nullptr;   // its cache; storage for the new positions is reserved
  std::int64_t start = 0;           // positions before start are already in the cache
  std::int64_t count = 0;
  bool want_logits = false;  // logits of the last position (start + count - 1)
};

class Model {
 public:
  // Takes the weights (from MakeRandomWeights or LoadSafetensorsWeights for the same
  // architecture) and the cache layout the KvCache passed to Forward will use. Throws
  // infermeter::Error when a tensor is missing or has the wrong shape, or the layout was made
  // for another architecture.
  Model(models::Architecture arch, ModelWeights weights, const KvLayout& layout);
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

  const models::Architecture& arch() const;

  // Runs positions [start, start + count) of every slice through all layers in one step: reads
  // the earlier positions' cache entries and writes the new ones (and the compressor state and
  // carry snapshots) through `cache`. Appends one vocab_size-wide row of logits per slice with
  // want_logits, in slice order. Adds the FLOPs it executed to `flops`.
  void Forward(std::span<const ForwardSlice> slices, KvCache& cache, std::vector<float>& logits,
               FlopsByOpClass& flops);

  struct Impl;

 private:
  friend void ForwardAttentionOnly(Model&, std::size_t, std::span<const ForwardSlice>, KvCache&,
                                   FlopsByOpClass&);  // model/bench_hooks.h
  friend void FillCacheForBench(const Model&, KvCache&, const SequenceKv&, std::int64_t,
                                std::uint64_t);
  std::unique_ptr<Impl> impl_;
};

}  // namespace infermeter::engines::reference
