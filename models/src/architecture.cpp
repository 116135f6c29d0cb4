#include "infermeter/models/architecture.h"

#include <algorithm>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::models {
namespace {

constexpr std::pair<AttentionKind, std::string_view> kAttentionTags[] = {
    {AttentionKind::kGqa, "gqa"}, {AttentionKind::kMla, "mla"}, {AttentionKind::kDsa, "dsa"},
    {AttentionKind::kSwa, "swa"}, {AttentionKind::kCsa, "csa"}, {AttentionKind::kHca, "hca"},
};
constexpr std::pair<FfnKind, std::string_view> kFfnTags[] = {
    {FfnKind::kDense, "dense"}, {FfnKind::kMoe, "moe"}, {FfnKind::kHashMoe, "hash_moe"}};

// Fails with the infermeter JSON path of the field, e.g. "$.moe field 'experts_per_token'".
[[noreturn]] void Fail(const std::string& source, std::string path, std::string field,
                       const std::string& problem) {
  throw InputError({.source = source, .path = std::move(path), .field = std::move(field)}, problem);
}

void RequirePositive(const std::string& source, const std::string& path, const std::string& field,
                     std::int64_t value, std::string_view why) {
  if (value <= 0) {
    Fail(source, path, field, fmt::format("expected a positive integer {}, got {}", why, value));
  }
}

}  // namespace

std::string_view ToString(AttentionKind kind) {
  for (const auto& [k, tag] : kAttentionTags) {
    if (k == kind) return tag;
  }
  return "?";
}

std::string_view ToString(FfnKind kind) {
  for (const auto& [k, tag] : kFfnTags) {
    if (k == kind) return tag;
  }
  return "?";
}

std::optional<AttentionKind> ParseAttentionKind(std::string_view tag) {
  for (const auto& [k, t] : kAttentionTags) {
    if (t == tag) return k;
  }
  return std::nullopt;
}

std::optional<FfnKind> ParseFfnKind(std::string_view tag) {
  for (const auto& [k, t] : kFfnTags) {
    if (t == tag) return k;
  }
  return std::nullopt;
}

std::int64_t Architecture::CountLayers(AttentionKind kind) const {
  return std::count_if(layers.begin(), layers.end(),
                       [kind](const LayerSpec& l) { return l.attention == kind; });
}

std::int64_t Architecture::CountLayers(FfnKind kind) const {
  return std::count_if(layers.begin(), layers.end(),
                       [kind](const LayerSpec& l) { return l.ffn == kind; });
}

void Validate(const Architecture& arch, const std::string& source) {
  RequirePositive(source, "$", "hidden_size", arch.hidden_size, "width");
  RequirePositive(source, "$", "vocab_size", arch.vocab_size, "vocabulary size");
  RequirePositive(source, "$", "num_heads", arch.num_heads, "query head count");
  if (arch.layers.empty()) {
    Fail(source, "$", "attention_layers", "expected at least one layer");
  }
  if (arch.mtp_layers < 0) Fail(source, "$", "mtp_layers", "expected 0 or more");

  if (arch.Uses(AttentionKind::kGqa)) {
    const auto& g = arch.gqa;
    RequirePositive(source, "$.gqa", "num_kv_heads", g.num_kv_heads, "for gqa layers");
    RequirePositive(source, "$.gqa", "head_dim", g.head_dim, "for gqa layers");
    if (arch.num_heads % g.num_kv_heads != 0) {
      Fail(source, "$.gqa", "num_kv_heads",
           fmt::format("{} key/value heads do not divide {} query heads", g.num_kv_heads,
                       arch.num_heads));
    }
  }
  if (arch.Uses(AttentionKind::kMla) || arch.Uses(AttentionKind::kDsa)) {
    const auto& m = arch.mla;
    if (m.q_lora_rank < 0) Fail(source, "$.mla", "q_lora_rank", "expected 0 (none) or more");
    RequirePositive(source, "$.mla", "kv_lora_rank", m.kv_lora_rank, "for mla/dsa layers");
    RequirePositive(source, "$.mla", "qk_nope_head_dim", m.qk_nope_head_dim, "for mla/dsa layers");
    RequirePositive(source, "$.mla", "qk_rope_head_dim", m.qk_rope_head_dim, "for mla/dsa layers");
    RequirePositive(source, "$.mla", "v_head_dim", m.v_head_dim, "for mla/dsa layers");
  }
  if (arch.Uses(AttentionKind::kDsa) || arch.Uses(AttentionKind::kCsa)) {
    const auto& i = arch.indexer;
    RequirePositive(source, "$.indexer", "num_heads", i.num_heads, "for dsa/csa layers");
    RequirePositive(source, "$.indexer", "head_dim", i.head_dim, "for dsa/csa layers");
    RequirePositive(source, "$.indexer", "top_k", i.top_k, "for dsa/csa layers");
  }
  if (arch.Uses(AttentionKind::kDsa) && arch.mla.q_lora_rank == 0) {
    // The indexer's query projection reads the MLA query latent.
    Fail(source, "$.mla", "q_lora_rank", "dsa layers need a query latent (q_lora_rank > 0)");
  }
  const bool v4 = arch.Uses(AttentionKind::kSwa) || arch.Uses(AttentionKind::kCsa) ||
                  arch.Uses(AttentionKind::kHca);
  if (v4) {
    const auto& v = arch.v4;
    RequirePositive(source, "$.v4", "head_dim", v.head_dim, "for swa/csa/hca layers");
    RequirePositive(source, "$.v4", "rope_head_dim", v.rope_head_dim, "for swa/csa/hca layers");
    if (v.rope_head_dim >= v.head_dim) {
      Fail(source, "$.v4", "rope_head_dim",
           fmt::format("expected less than head_dim ({}), got {}", v.head_dim, v.rope_head_dim));
    }
    RequirePositive(source, "$.v4", "q_lora_rank", v.q_lora_rank, "for swa/csa/hca layers");
    RequirePositive(source, "$.v4", "o_groups", v.o_groups, "for swa/csa/hca layers");
    RequirePositive(source, "$.v4", "o_lora_rank", v.o_lora_rank, "for swa/csa/hca layers");
    if (arch.num_heads % v.o_groups != 0) {
      Fail(
          source, "$.v4", "o_groups",
          fmt::format("{} output groups do not divide {} query heads", v.o_groups, arch.num_heads));
    }
    RequirePositive(source, "$.v4", "sliding_window_tokens", v.sliding_window_tokens,
                    "for swa/csa/hca layers");
    RequirePositive(source, "$.v4", "hc_mult", v.hc_mult, "(1 = no mHC)");
    if (arch.Uses(AttentionKind::kCsa)) {
      RequirePositive(source, "$.v4", "csa_ratio_tokens", v.csa_ratio_tokens, "for csa layers");
    }
    if (arch.Uses(AttentionKind::kHca)) {
      RequirePositive(source, "$.v4", "hca_ratio_tokens", v.hca_ratio_tokens, "for hca layers");
    }
  }
  if (arch.Uses(FfnKind::kDense)) {
    RequirePositive(source, "$", "dense_intermediate_size", arch.dense_intermediate_size,
                    "for dense layers");
  }
  if (arch.Uses(FfnKind::kMoe) || arch.Uses(FfnKind::kHashMoe)) {
    const auto& m = arch.moe;
    RequirePositive(source, "$.moe", "num_routed_experts", m.num_routed_experts, "for moe layers");
    RequirePositive(source, "$.moe", "experts_per_token", m.experts_per_token, "for moe layers");
    if (m.experts_per_token > m.num_routed_experts) {
      Fail(source, "$.moe", "experts_per_token",
           fmt::format("top-k {} is larger than the {} routed experts", m.experts_per_token,
                       m.num_routed_experts));
    }
    if (m.num_shared_experts < 0) {
      Fail(source, "$.moe", "num_shared_experts", "expected 0 or more");
    }
    RequirePositive(source, "$.moe", "expert_intermediate_size", m.expert_intermediate_size,
                    "for moe layers");
  }
}

}  // namespace infermeter::models
