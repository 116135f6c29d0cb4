#include "shapes.h"

namespace infermeter::models::detail {
namespace {

// The CSA compressor (ratio 4) overlaps each block with the previous one, so its projections
// emit two head_dim-wide halves per token; HCA's does not.
std::int64_t OverlapFactor(AttentionKind kind) { return kind == AttentionKind::kCsa ? 2 : 1; }

}  // namespace

std::int64_t AttentionMatmulParams(const Architecture& a, AttentionKind kind) {
  const std::int64_t d = a.hidden_size;
  const std::int64_t h = a.num_heads;
  if (kind == AttentionKind::kGqa) {
    const auto& g = a.gqa;
    return d * h * g.head_dim + 2 * d * g.num_kv_heads * g.head_dim + h * g.head_dim * d;
  }
  if (kind == AttentionKind::kMla || kind == AttentionKind::kDsa) {
    const auto& m = a.mla;
    const std::int64_t q_head = m.qk_nope_head_dim + m.qk_rope_head_dim;
    const std::int64_t q =
        m.q_lora_rank > 0 ? d * m.q_lora_rank + m.q_lora_rank * h * q_head : d * h * q_head;
    return q + d * (m.kv_lora_rank + m.qk_rope_head_dim) +
           m.kv_lora_rank * h * (m.qk_nope_head_dim + m.v_head_dim) + h * m.v_head_dim * d;
  }
  const auto& v = a.v4;
  return d * v.q_lora_rank + v.q_lora_rank * h * v.head_dim + d * v.head_dim +
         h * v.head_dim * v.o_lora_rank  // wo_a: o_groups blocks of (h/g)*head_dim -> o_lora
         + v.o_groups * v.o_lora_rank * d;
}

std::int64_t AttentionVectorParams(const Architecture& a, AttentionKind kind) {
  if (kind == AttentionKind::kGqa) {
    const auto& g = a.gqa;
    std::int64_t n = 0;
    if (g.qkv_bias) n += (a.num_heads + 2 * g.num_kv_heads) * g.head_dim;
    if (g.qk_norm) n += 2 * g.head_dim;
    return n;
  }
  if (kind == AttentionKind::kMla || kind == AttentionKind::kDsa) {
    return a.mla.q_lora_rank + a.mla.kv_lora_rank;  // q_a and kv_a RMSNorms
  }
  return a.v4.q_lora_rank + a.v4.head_dim + a.num_heads;  // q norm, kv norm, attention sinks
}

std::int64_t IndexerMatmulParams(const Architecture& a, AttentionKind kind) {
  const auto& i = a.indexer;
  const std::int64_t d = a.hidden_size;
  if (kind == AttentionKind::kDsa) {
    return a.mla.q_lora_rank * i.num_heads * i.head_dim + d * i.head_dim + d * i.num_heads;
  }
  if (kind == AttentionKind::kCsa) {
    return a.v4.q_lora_rank * i.num_heads * i.head_dim + d * i.num_heads +
           2 * d * 2 * i.head_dim;  // key compressor wkv + wgate, overlapped
  }
  return 0;
}

std::int64_t IndexerVectorParams(const Architecture& a, AttentionKind kind) {
  const auto& i = a.indexer;
  if (kind == AttentionKind::kDsa) return 2 * i.head_dim;  // LayerNorm on the key
  if (kind == AttentionKind::kCsa) {
    return a.v4.csa_ratio_tokens * 2 * i.head_dim + i.head_dim;  // key compressor APE + norm
  }
  return 0;
}

std::int64_t CompressorMatmulParams(const Architecture& a, AttentionKind kind) {
  if (kind != AttentionKind::kCsa && kind != AttentionKind::kHca) return 0;
  return 2 * a.hidden_size * OverlapFactor(kind) * a.v4.head_dim;
}

std::int64_t CompressorVectorParams(const Architecture& a, AttentionKind kind) {
  if (kind != AttentionKind::kCsa && kind != AttentionKind::kHca) return 0;
  // Learned position bias (APE) per slot of a block, and the output RMSNorm.
  return CompressRatio(a, kind) * OverlapFactor(kind) * a.v4.head_dim + a.v4.head_dim;
}

std::int64_t MhcMatmulParams(const Architecture& a) {
  const std::int64_t n = a.v4.hc_mult;
  if (n <= 1 || !(a.Uses(AttentionKind::kSwa) || a.Uses(AttentionKind::kCsa) ||
                  a.Uses(AttentionKind::kHca))) {
    return 0;
  }
  // Per sub-block (attention, FFN): hc_fn [(2 + n) * n, n * hidden].
  return 2 * (2 + n) * n * n * a.hidden_size;
}

std::int64_t MhcVectorParams(const Architecture& a) {
  if (MhcMatmulParams(a) == 0) return 0;
  const std::int64_t n = a.v4.hc_mult;
  return 2 * ((2 + n) * n + 3);  // hc_base and the three hc_scale values per sub-block
}

std::int64_t MhcHeadMatmulParams(const Architecture& a) {
  if (MhcMatmulParams(a) == 0) return 0;
  return a.v4.hc_mult * a.v4.hc_mult * a.hidden_size;
}

std::int64_t MhcHeadVectorParams(const Architecture& a) {
  return MhcMatmulParams(a) == 0 ? 0 : a.v4.hc_mult + 1;
}

std::int64_t DenseFfnParams(const Architecture& a) {
  return 3 * a.hidden_size * a.dense_intermediate_size;
}

std::int64_t ExpertParams(const Architecture& a) {
  return 3 * a.hidden_size * a.moe.expert_intermediate_size;
}

std::int64_t RouterParams(const Architecture& a, FfnKind ffn) {
  return ffn == FfnKind::kMoe ? a.hidden_size * a.moe.num_routed_experts : 0;
}

std::int64_t CompressRatio(const Architecture& a, AttentionKind kind) {
  if (kind == AttentionKind::kCsa) return a.v4.csa_ratio_tokens;
  if (kind == AttentionKind::kHca) return a.v4.hca_ratio_tokens;
  return 0;
}

std::int64_t CompressWindow(const Architecture& a, AttentionKind kind) {
  return OverlapFactor(kind) * CompressRatio(a, kind);
}

}  // namespace infermeter::models::detail
