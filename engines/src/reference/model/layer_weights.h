#pragma once
// The weights as the forward pass reads them: per layer, pointers into ModelWeights by role
// (resolved once from the checkpoint names), plus the few matrices derived at load time (MLA's
// per-head absorption matrices). Unused roles stay null.

#include <cstdint>
#include <span>
#include <vector>

#include "infermeter/models/architecture.h"
#include "kernels/gemm.h"
#include "model/arch_util.h"
#include "model/weights.h"

namespace infermeter::engines::reference {

// A SwiGLU MLP: down(silu(gate x) * up x). DeepSeek's w1 = gate, w3 = up, w2 = down.
struct MlpWeights {
  const Bf16Matrix* gate = nullptr;
  const Bf16Matrix* up = nullptr;
  const Bf16Matrix* down = nullptr;
};

// A V4 compressor (main or the CSA indexer's key compressor).
struct CompressorWeights {
  const Bf16Matrix* wkv = nullptr;
  const Bf16Matrix* wgate = nullptr;
  const float* ape = nullptr;   // [ratio, width]
  const float* norm = nullptr;  // [head_dim]
  std::int64_t ratio = 0;
  std::int64_t head_dim = 0;
  bool overlap = false;  // CSA: each token feeds two entries; width = 2 * head_dim
  std::int64_t width() const { return (overlap ? 2 : 1) * head_dim; }
};

struct MhcWeights {
  const Bf16Matrix* fn = nullptr;  // [(2 + n) * n, n * hidden] (hc_head: [n, n * hidden])
  const float* base = nullptr;
  const float* scale = nullptr;
};

struct LayerWeights {
  models::LayerSpec spec;
  const float* attn_norm = nullptr;
  const float* ffn_norm = nullptr;

  // gqa (wq also serves MLA without a query latent)
  const Bf16Matrix* wq = nullptr;
  const Bf16Matrix* wk = nullptr;
  const Bf16Matrix* wv = nullptr;
  const Bf16Matrix* wo = nullptr;  // gqa and mla/dsa output projection
  const float* q_bias = nullptr;
  const float* k_bias = nullptr;
  const float* v_bias = nullptr;
  const float* q_head_norm = nullptr;
  const float* k_head_norm = nullptr;

  // mla / dsa / v4 query latent
  const Bf16Matrix* wq_a = nullptr;
  const float* q_norm = nullptr;
  const Bf16Matrix* wq_b = nullptr;
  // mla / dsa
  const Bf16Matrix* wkv_a = nullptr;
  const float* kv_norm = nullptr;
  const Bf16Matrix* wkv_b = nullptr;
  // Per head, derived from wkv_b [H * (nope + v), kv_lora]: absorb_k[h] = W_UK[h]^T
  // [kv_lora, nope] takes q_nope into the latent; absorb_v[h] = W_UV[h] [v, kv_lora] takes the
  // latent output back to v_head_dim.
  std::vector<Bf16Matrix> absorb_k;
  std::vector<Bf16Matrix> absorb_v;
  // lightning indexer (dsa: wk + LayerNorm; csa: key compressor)
  const Bf16Matrix* idx_wq_b = nullptr;
  const Bf16Matrix* idx_wk = nullptr;
  const float* idx_k_norm = nullptr;
  const float* idx_k_bias = nullptr;
  const Bf16Matrix* idx_weights = nullptr;
  CompressorWeights idx_compressor;

  // v4
  const Bf16Matrix* wkv = nullptr;      // uses kv_norm
  std::vector<const Bf16Matrix*> wo_a;  // one per output group
  const Bf16Matrix* wo_b = nullptr;
  const float* sink = nullptr;
  CompressorWeights compressor;
  MhcWeights hc_attn;
  MhcWeights hc_ffn;

  // ffn
  MlpWeights dense;
  const Bf16Matrix* router = nullptr;
  const float* router_bias = nullptr;
  std::span<const std::int32_t> tid2eid;  // [vocab, top_k]
  std::vector<MlpWeights> experts;
  MlpWeights shared;  // gate == nullptr without shared experts
};

struct ModelView {
  const Bf16Matrix* embed = nullptr;
  const float* final_norm = nullptr;
  const Bf16Matrix* head = nullptr;
  MhcWeights hc_head;  // V4 with mHC: reduces the streams before the final norm
  std::vector<LayerWeights> layers;
};

// Checks `weights` against TensorSpecs(arch) (every tensor present, shapes as specified;
// throws infermeter::Error naming the tensor otherwise) and resolves the views.
ModelView BuildModelView(const models::Architecture& arch, const ModelTraits& traits,
                         const ModelWeights& weights);

}  // namespace infermeter::engines::reference
