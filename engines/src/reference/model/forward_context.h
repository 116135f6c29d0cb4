#pragma once
// What every part of the forward pass sees during one step: the rows of the step (every
// slice's new positions, concatenated), the layer's weights and cache layout, scratch memory
// and the FLOP counters. FLOPs are added next to the work that executes them (Linear below,
// RunAttention, the indexer, compressor and mHC loops), never estimated afterwards.

#include <cstdint>
#include <span>
#include <vector>

#include "infermeter/core/engine.h"
#include "infermeter/models/architecture.h"
#include "kernels/gemm.h"
#include "kernels/kv_codec.h"
#include "kv/kv_cache.h"
#include "model/arch_util.h"
#include "model/attention_core.h"
#include "model/layer_weights.h"
#include "model/model.h"
#include "model/rope.h"
#include "model/workspace.h"

namespace infermeter::engines::reference {

inline void AddFlops(FlopsByOpClass& flops, OpClass op_class, double value) {
  flops[static_cast<std::size_t>(op_class)] += value;
}

// y = x * W^T through the kernels' MatMul, counting 2*M*N*K FLOPs against `op_class`. `path`
// kAuto lets MatMul choose by M (GEMV for a few rows, oneDNN above); callers that need the
// same kernel for every row count of a step force one (see moe.cpp).
void Linear(const float* x, std::int64_t m, std::int64_t ldx, const Bf16Matrix& w, float* y,
            std::int64_t ldy, OpClass op_class, FlopsByOpClass& flops,
            MatMulPath path = MatMulPath::kAuto);
// The same with x kept in fp32 (MatMulF32), for MLA's absorption and expansion.
void LinearF32(const float* x, std::int64_t m, std::int64_t ldx, const Bf16Matrix& w, float* y,
               std::int64_t ldy, OpClass op_class, FlopsByOpClass& flops);
inline void Linear(const float* x, std::int64_t m, const Bf16Matrix& w, float* y, OpClass op_class,
                   FlopsByOpClass& flops) {
  Linear(x, m, w.cols(), w, y, w.rows(), op_class, flops);
}

// The rows of one step: slice s owns rows [first_row[s], first_row[s + 1]).
struct Step {
  std::span<const ForwardSlice> slices;
  std::vector<std::int64_t> first_row;
  std::vector<std::int32_t> row_slice;
  std::vector<std::int64_t> row_position;
  std::vector<TokenId> row_token;

  std::int64_t rows() const { return static_cast<std::int64_t>(row_position.size()); }
  const SequenceKv& kv(std::int64_t row) const {
    return *slices[static_cast<std::size_t>(row_slice[static_cast<std::size_t>(row)])].kv;
  }
};

// Everything a layer's parts need.
struct LayerContext {
  const models::Architecture& arch;
  const ModelTraits& traits;
  std::size_t layer;
  const LayerWeights& w;
  const Step& step;
  KvCache& cache;
  const LayerKvLayout& kv;
  const EntryCodec* entry_codec;     // main cache entries (null for none)
  const IndexerKeyCodec* key_codec;  // indexer keys (dsa, csa)
  Workspace& ws;
  AttentionScratch& attention;
  RopeTables& rope;
  FlopsByOpClass& flops;
};

}  // namespace infermeter::engines::reference
