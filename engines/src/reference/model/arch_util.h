#pragma once
// Facts about an architecture the forward pass needs beyond models::Architecture's widths:
// which tensor naming it follows, RoPE bases, norm epsilon, router scoring. Values follow each
// family's published inference code; model/README.md lists them with the simplifications.

#include <cstdint>
#include <string>

#include "infermeter/models/architecture.h"

namespace infermeter::engines::reference {

enum class RouterScoring : std::uint8_t {
  kSoftmax,       // Qwen3-MoE: softmax over experts, top-k weights renormalised
  kSigmoid,       // DeepSeek-V3/V3.2
  kSqrtSoftplus,  // DeepSeek-V4
};

struct ModelTraits {
  bool deepseek_names = true;  // official DeepSeek names, else Hugging Face Llama/Qwen names
  bool mhc = false;            // V4 manifold-constrained hyper-connections (hc_mult streams)
  std::int64_t hc_mult = 1;
  int hc_sinkhorn_iters = 20;
  float hc_eps = 1e-6f;
  float norm_eps = 1e-6f;
  double rope_theta = 10000.0;            // GQA, MLA, DSA, V4 swa layers
  double compress_rope_theta = 160000.0;  // V4 csa/hca layers (YaRN scaling not applied)
  RouterScoring scoring = RouterScoring::kSigmoid;
  float route_scale = 1.0f;   // routed_scaling_factor
  float swiglu_limit = 0.0f;  // V4 clamps routed experts' SwiGLU at 10; 0 = no clamp
  // Global tensor names.
  std::string embed_name;
  std::string final_norm_name;
  std::string head_name;  // the embedding's name when tied
};

bool UsesDeepseekNames(const models::Architecture& arch);
bool UsesMhc(const models::Architecture& arch);
bool IsV4Kind(models::AttentionKind kind);
// Throws infermeter::Error for architectures the forward pass cannot run (for example a DSA
// layer without a query low-rank projection, which its indexer reads).
void CheckSupported(const models::Architecture& arch);
ModelTraits TraitsFor(const models::Architecture& arch);
// The prefix of layer `index`'s tensor names ("layers.3." or "model.layers.3.").
std::string LayerPrefix(const models::Architecture& arch, std::size_t index);

}  // namespace infermeter::engines::reference
