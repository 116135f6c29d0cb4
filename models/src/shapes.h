#pragma once
// Weight shapes per layer, shared by the parameter count and the FLOP count so that the two
// can never disagree: every matmul weight of W elements costs 2*W FLOPs per token that uses it.
// Sizes are element counts.

#include <cstdint>

#include "infermeter/models/architecture.h"

namespace infermeter::models::detail {

// Query/key/value/output projections of one layer (MLA: wq_a, wq_b, wkv_a, wkv_b, wo;
// V4: wq_a, wq_b, wkv, wo_a, wo_b).
std::int64_t AttentionMatmulParams(const Architecture& arch, AttentionKind kind);
// Norm weights, biases and attention sinks inside the attention block.
std::int64_t AttentionVectorParams(const Architecture& arch, AttentionKind kind);

// Lightning indexer projections (DSA: wq_b, wk, weights_proj; CSA: wq_b, weights_proj and the
// indexer's own key compressor wkv + wgate).
std::int64_t IndexerMatmulParams(const Architecture& arch, AttentionKind kind);
std::int64_t IndexerVectorParams(const Architecture& arch, AttentionKind kind);

// V4 KV compressor projections wkv + wgate (CSA overlaps two blocks, so its outputs are twice
// as wide).
std::int64_t CompressorMatmulParams(const Architecture& arch, AttentionKind kind);
std::int64_t CompressorVectorParams(const Architecture& arch, AttentionKind kind);

// V4 mHC mixing weights of one layer (two sub-blocks); 0 without mHC.
std::int64_t MhcMatmulParams(const Architecture& arch);
std::int64_t MhcVectorParams(const Architecture& arch);
// V4's hc_head, which folds the mHC streams into one before the final norm: hc_head_fn
// [n, n * hidden] (matmul), hc_head_base [n] and hc_head_scale [1]; 0 without mHC.
std::int64_t MhcHeadMatmulParams(const Architecture& arch);
std::int64_t MhcHeadVectorParams(const Architecture& arch);

std::int64_t DenseFfnParams(const Architecture& arch);
std::int64_t ExpertParams(const Architecture& arch);  // one expert, routed or shared
std::int64_t RouterParams(const Architecture& arch, FfnKind ffn);

// Entries a layer's compressor writes per token block, or 0: csa/hca ratios.
std::int64_t CompressRatio(const Architecture& arch, AttentionKind kind);
// Tokens a compressed entry pools over: 2*ratio with overlap (csa), ratio otherwise (hca).
std::int64_t CompressWindow(const Architecture& arch, AttentionKind kind);

}  // namespace infermeter::models::detail
