#include "model/arch_util.h"

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::engines::reference {

using models::AttentionKind;

bool IsV4Kind(AttentionKind kind) {
  return kind == AttentionKind::kSwa || kind == AttentionKind::kCsa || kind == AttentionKind::kHca;
}

bool UsesDeepseekNames(const models::Architecture& arch) {
  if (arch.model_type.rfind("deepseek", 0) == 0) return true;
  for (const auto& layer : arch.layers) {
    if (layer.attention != AttentionKind::kGqa) return true;
  }
  return false;
}

bool UsesMhc(const models::Architecture& arch) {
  if (arch.v4.hc_mult <= 1) return false;
  for (const auto& layer : arch.layers) {
    if (IsV4Kind(layer.attention)) return true;
  }
  return false;
}

void CheckSupported(const models::Architecture& arch) {
  models::Validate(arch, arch.name.empty() ? "<architecture>" : arch.name);
  const auto fail = [&arch](const std::string& problem) {
    throw Error(fmt::format("architecture '{}': the reference engine cannot run it: {}", arch.name,
                            problem));
  };
  if (arch.Uses(AttentionKind::kGqa) && arch.gqa.head_dim % 2 != 0) {
    fail("gqa head_dim must be even for RoPE");
  }
  if ((arch.Uses(AttentionKind::kMla) || arch.Uses(AttentionKind::kDsa)) &&
      arch.mla.qk_rope_head_dim % 2 != 0) {
    fail("qk_rope_head_dim must be even");
  }
  if (arch.Uses(AttentionKind::kDsa) || arch.Uses(AttentionKind::kCsa)) {
    const std::int64_t rope =
        arch.Uses(AttentionKind::kDsa) ? arch.mla.qk_rope_head_dim : arch.v4.rope_head_dim;
    if (rope > arch.indexer.head_dim) fail("the indexer head is narrower than its RoPE part");
  }
  const bool v4 = arch.Uses(AttentionKind::kSwa) || arch.Uses(AttentionKind::kCsa) ||
                  arch.Uses(AttentionKind::kHca);
  if (v4 && arch.v4.rope_head_dim % 2 != 0) fail("v4 rope_head_dim must be even");
  if (v4 && arch.v4.hc_mult > 64) fail("hc_mult above 64 is not supported");
}

ModelTraits TraitsFor(const models::Architecture& arch) {
  ModelTraits t;
  t.deepseek_names = UsesDeepseekNames(arch);
  t.mhc = UsesMhc(arch);
  t.hc_mult = t.mhc ? arch.v4.hc_mult : 1;
  const std::string& type = arch.model_type;
  if (type == "deepseek_v4") {
    t.scoring = RouterScoring::kSqrtSoftplus;
    t.route_scale = 1.5f;  // V4-Flash's routed_scaling_factor (Pro: 2.5)
    t.swiglu_limit = 10.0f;
  } else if (t.deepseek_names) {
    t.scoring = RouterScoring::kSigmoid;
    t.route_scale = 2.5f;  // V3/V3.2
  } else {
    t.scoring = RouterScoring::kSoftmax;
    t.route_scale = 1.0f;
  }
  if (type == "llama") {
    t.rope_theta = 500000.0;
    t.norm_eps = 1e-5f;
  } else if (type.rfind("qwen", 0) == 0) {
    t.rope_theta = 1000000.0;
  }
  if (t.deepseek_names) {
    t.embed_name = "embed.weight";
    t.final_norm_name = "norm.weight";
    t.head_name = arch.tie_word_embeddings ? "embed.weight" : "head.weight";
  } else {
    t.embed_name = "model.embed_tokens.weight";
    t.final_norm_name = "model.norm.weight";
    t.head_name = arch.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
  }
  return t;
}

std::string LayerPrefix(const models::Architecture& arch, std::size_t index) {
  return UsesDeepseekNames(arch) ? fmt::format("layers.{}.", index)
                                 : fmt::format("model.layers.{}.", index);
}

}  // namespace infermeter::engines::reference
