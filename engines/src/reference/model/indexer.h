#pragma once
// The lightning indexer (V3.2's DSA and V4's CSA layers): a cheap score of every visible key,
// I(t, s) = sum_j w_j * ReLU(q_j . k_s), and the top-k keys the main attention then reads.

#include <cstdint>

#include "model/forward_context.h"

namespace infermeter::engines::reference {

// Per step row: how many keys the main attention reads, and which (ascending key indices), or
// null when it reads all of keys 0..count-1.
struct KeySelection {
  std::int64_t* counts = nullptr;
  const std::int32_t** lists = nullptr;
};

// DSA: indexes every visible position (t of them); keys = LayerNorm(wk x) with RoPE, one per
// position, written to the cache as this step's rows pass. Selects min(top_k, t) positions.
// qr is the MLA query latent (after its RMSNorm). The result lives in c.ws until the caller's
// Workspace scope closes.
KeySelection DsaIndexer(LayerContext& c, const float* x, const float* qr);

// CSA: indexes the floor(t / csa_ratio) compressed entries a row can see; the keys come from
// the indexer's own compressor (run here, which writes this step's new keys). Selects
// min(top_k, floor(t / csa_ratio)) entries.
KeySelection CsaIndexer(LayerContext& c, const float* x, const float* qr);

}  // namespace infermeter::engines::reference
