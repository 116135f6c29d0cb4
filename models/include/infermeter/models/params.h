#pragma once
// Parameter counts of an architecture, split by where the parameters live. Element counts
// (parameters), not bytes. What is counted is spelled out in docs/COST_MODEL.md.

#include <cstdint>

#include "infermeter/models/architecture.h"

namespace infermeter::models {

struct ParamCounts {
  std::int64_t embedding = 0;              // input embedding table, vocab x hidden
  std::int64_t lm_head = 0;                // output projection; 0 when tied to the embedding
  std::int64_t attention = 0;              // q/kv/o projections, their norms, biases and sinks
  std::int64_t indexer = 0;                // lightning indexer, incl. V4's indexer key compressor
  std::int64_t compressor = 0;             // V4 KV compressors (csa, hca)
  std::int64_t mhc = 0;                    // V4 mHC residual mixing
  std::int64_t dense_ffn = 0;              // dense SwiGLU layers
  std::int64_t router = 0;                 // MoE gate weights (not in hash-routed layers)
  std::int64_t routed_experts = 0;         // every routed expert of every layer
  std::int64_t routed_experts_active = 0;  // the top-k a token uses, every layer
  std::int64_t shared_experts = 0;
  std::int64_t norms = 0;  // per-layer input/post-attention RMSNorms and the final norm
  // Multi-token-prediction modules: one more decoder layer each plus eh_proj and its norms;
  // they share the embedding and LM head. Never part of Total() or Active().
  std::int64_t mtp = 0;

  // Every parameter of the main model (embedding and LM head included, MTP excluded).
  std::int64_t Total() const;
  // Parameters one token's forward pass multiplies with: Total() less the routed experts it
  // does not use, and less the input embedding table (a row lookup, not a matmul) unless the
  // table doubles as the LM head.
  std::int64_t Active() const;
  // Active() parameters that belong to experts (routed top-k + shared), and the rest.
  std::int64_t ActiveExpert() const { return routed_experts_active + shared_experts; }
  std::int64_t ActiveNonExpert() const { return Active() - ActiveExpert(); }
};

ParamCounts CountParams(const Architecture& arch);

}  // namespace infermeter::models
