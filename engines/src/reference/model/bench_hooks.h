#pragma once
// Entry points for the benchmarks (bench/attention_bench.cpp): one layer's attention block
// alone, and a cache filled without running the model, so that a decode query at 128K tokens of
// context can be timed without a 128K-token prefill first.

#include <cstdint>
#include <span>

#include "infermeter/core/engine.h"
#include "kv/kv_cache.h"
#include "model/model.h"

namespace infermeter::engines::reference {

// Runs layer `layer`'s attention block for `slices` as Forward would (embedding, the layer's
// input norm or mHC pre-mix, attention, writing this layer's cache entries and compressor
// state) and nothing else: no FFN, no other layer, no logits. Adds the FLOPs it executes.
void ForwardAttentionOnly(Model& model, std::size_t layer, std::span<const ForwardSlice> slices,
                          KvCache& cache, FlopsByOpClass& flops);

// Writes random but well-formed entries for positions [0, tokens) of `seq` into every region
// the layout has (token entries, window entries, compressed entries, indexer keys), as the
// model's codecs encode them. REQUIRES: storage for the positions is reserved. The caller then
// commits `tokens` positions.
void FillCacheForBench(const Model& model, KvCache& cache, const SequenceKv& seq,
                       std::int64_t tokens, std::uint64_t seed);

}  // namespace infermeter::engines::reference
