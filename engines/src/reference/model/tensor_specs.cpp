// The tensors of an architecture: names, shapes, storage and random initialisation. Names follow
// each family's own checkpoints (model/README.md has the full list):
//   DeepSeek (V3, V3.2, V4): the official inference code's names ("embed.weight",
//     "layers.{i}.attn.wq_a.weight", "layers.{i}.ffn.experts.{e}.w1.weight", "head.weight", ...)
//   Llama / Qwen (GQA): Hugging Face names ("model.embed_tokens.weight",
//     "model.layers.{i}.self_attn.q_proj.weight", ..., "lm_head.weight")
#include <cmath>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "model/arch_util.h"
#include "model/weights.h"

namespace infermeter::engines::reference {
namespace {

using models::AttentionKind;
using models::FfnKind;

class SpecList {
 public:
  explicit SpecList(std::vector<TensorSpec>& out) : out_(out) {}

  // A weight matrix [rows, cols] ~ N(0, 1/cols): unit-variance inputs give unit-variance outputs.
  void Matrix(std::string name, std::int64_t rows, std::int64_t cols, std::int64_t groups = 1) {
    out_.push_back({std::move(name),
                    {rows, cols},
                    TensorStorage::kBf16Matrix,
                    groups,
                    TensorInit::kNormal,
                    1.0 / std::sqrt(static_cast<double>(cols))});
  }
  // A BF16 table whose rows are looked up (the embedding): unit variance, like a normed hidden
  // state.
  void Table(std::string name, std::int64_t rows, std::int64_t cols) {
    out_.push_back(
        {std::move(name), {rows, cols}, TensorStorage::kBf16Matrix, 1, TensorInit::kNormal, 1.0});
  }
  void Constant(std::string name, std::vector<std::int64_t> shape, double value) {
    out_.push_back(
        {std::move(name), std::move(shape), TensorStorage::kF32, 1, TensorInit::kConstant, value});
  }
  void Normal(std::string name, std::vector<std::int64_t> shape, double scale) {
    out_.push_back(
        {std::move(name), std::move(shape), TensorStorage::kF32, 1, TensorInit::kNormal, scale});
  }
  void Ones(std::string name, std::int64_t n) { Constant(std::move(name), {n}, 1.0); }
  void ExpertTable(std::string name, std::int64_t rows, std::int64_t cols) {
    out_.push_back(
        {std::move(name), {rows, cols}, TensorStorage::kI32, 1, TensorInit::kExpertTable, 0.0});
  }

 private:
  std::vector<TensorSpec>& out_;
};

// A V4 compressor: kv and gate projections (two halves when blocks overlap), learned position
// bias per slot of a block, output RMSNorm.
void Compressor(SpecList& s, const std::string& prefix, std::int64_t dim, std::int64_t head_dim,
                std::int64_t ratio, bool overlap) {
  const std::int64_t width = (overlap ? 2 : 1) * head_dim;
  s.Matrix(prefix + "wkv.weight", width, dim);
  s.Matrix(prefix + "wgate.weight", width, dim);
  s.Normal(prefix + "ape", {ratio, width}, 0.1);
  s.Ones(prefix + "norm.weight", head_dim);
}

void DeepseekAttention(SpecList& s, const models::Architecture& a, const std::string& p,
                       AttentionKind kind) {
  const std::int64_t d = a.hidden_size;
  const std::int64_t h = a.num_heads;
  const auto& ix = a.indexer;
  switch (kind) {
    case AttentionKind::kGqa: {
      const auto& g = a.gqa;
      s.Matrix(p + "attn.wq.weight", h * g.head_dim, d);
      s.Matrix(p + "attn.wk.weight", g.num_kv_heads * g.head_dim, d);
      s.Matrix(p + "attn.wv.weight", g.num_kv_heads * g.head_dim, d);
      s.Matrix(p + "attn.wo.weight", d, h * g.head_dim);
      return;
    }
    case AttentionKind::kMla:
    case AttentionKind::kDsa: {
      const auto& m = a.mla;
      const std::int64_t qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
      if (m.q_lora_rank > 0) {
        s.Matrix(p + "attn.wq_a.weight", m.q_lora_rank, d);
        s.Ones(p + "attn.q_norm.weight", m.q_lora_rank);
        s.Matrix(p + "attn.wq_b.weight", h * qk, m.q_lora_rank);
      } else {
        s.Matrix(p + "attn.wq.weight", h * qk, d);
      }
      s.Matrix(p + "attn.wkv_a.weight", m.kv_lora_rank + m.qk_rope_head_dim, d);
      s.Ones(p + "attn.kv_norm.weight", m.kv_lora_rank);
      s.Matrix(p + "attn.wkv_b.weight", h * (m.qk_nope_head_dim + m.v_head_dim), m.kv_lora_rank);
      s.Matrix(p + "attn.wo.weight", d, h * m.v_head_dim);
      if (kind == AttentionKind::kDsa) {
        s.Matrix(p + "attn.indexer.wq_b.weight", ix.num_heads * ix.head_dim, m.q_lora_rank);
        s.Matrix(p + "attn.indexer.wk.weight", ix.head_dim, d);
        s.Ones(p + "attn.indexer.k_norm.weight", ix.head_dim);
        s.Constant(p + "attn.indexer.k_norm.bias", {ix.head_dim}, 0.0);
        s.Matrix(p + "attn.indexer.weights_proj.weight", ix.num_heads, d);
      }
      return;
    }
    case AttentionKind::kSwa:
    case AttentionKind::kCsa:
    case AttentionKind::kHca: {
      const auto& v = a.v4;
      s.Matrix(p + "attn.wq_a.weight", v.q_lora_rank, d);
      s.Ones(p + "attn.q_norm.weight", v.q_lora_rank);
      s.Matrix(p + "attn.wq_b.weight", h * v.head_dim, v.q_lora_rank);
      s.Matrix(p + "attn.wkv.weight", v.head_dim, d);
      s.Ones(p + "attn.kv_norm.weight", v.head_dim);
      s.Matrix(p + "attn.wo_a.weight", v.o_groups * v.o_lora_rank, h * v.head_dim / v.o_groups,
               v.o_groups);
      s.Matrix(p + "attn.wo_b.weight", d, v.o_groups * v.o_lora_rank);
      s.Normal(p + "attn.attn_sink", {h}, 0.5);
      if (kind == AttentionKind::kCsa) {
        Compressor(s, p + "attn.compressor.", d, v.head_dim, v.csa_ratio_tokens, true);
        s.Matrix(p + "attn.indexer.wq_b.weight", ix.num_heads * ix.head_dim, v.q_lora_rank);
        s.Matrix(p + "attn.indexer.weights_proj.weight", ix.num_heads, d);
        Compressor(s, p + "attn.indexer.compressor.", d, ix.head_dim, v.csa_ratio_tokens, true);
      } else if (kind == AttentionKind::kHca) {
        Compressor(s, p + "attn.compressor.", d, v.head_dim, v.hca_ratio_tokens, false);
      }
      return;
    }
  }
}

void DeepseekFfn(SpecList& s, const models::Architecture& a, const std::string& p, FfnKind ffn) {
  const std::int64_t d = a.hidden_size;
  if (ffn == FfnKind::kDense) {
    s.Matrix(p + "ffn.w1.weight", a.dense_intermediate_size, d);
    s.Matrix(p + "ffn.w2.weight", d, a.dense_intermediate_size);
    s.Matrix(p + "ffn.w3.weight", a.dense_intermediate_size, d);
    return;
  }
  const auto& m = a.moe;
  if (ffn == FfnKind::kMoe) {
    s.Matrix(p + "ffn.gate.weight", m.num_routed_experts, d);
    // DeepSeek's expert-selection correction bias (added to the scores for top-k only).
    s.Normal(p + "ffn.gate.bias", {m.num_routed_experts}, 0.01);
  } else {
    s.ExpertTable(p + "ffn.gate.tid2eid", a.vocab_size, m.experts_per_token);
  }
  for (std::int64_t e = 0; e < m.num_routed_experts; ++e) {
    const std::string q = fmt::format("{}ffn.experts.{}.", p, e);
    s.Matrix(q + "w1.weight", m.expert_intermediate_size, d);
    s.Matrix(q + "w2.weight", d, m.expert_intermediate_size);
    s.Matrix(q + "w3.weight", m.expert_intermediate_size, d);
  }
  if (m.num_shared_experts > 0) {
    // DeepSeek runs its shared experts as one MLP of num_shared x the expert width.
    const std::int64_t width = m.num_shared_experts * m.expert_intermediate_size;
    s.Matrix(p + "ffn.shared_experts.w1.weight", width, d);
    s.Matrix(p + "ffn.shared_experts.w2.weight", d, width);
    s.Matrix(p + "ffn.shared_experts.w3.weight", width, d);
  }
}

void Mhc(SpecList& s, const models::Architecture& a, const std::string& p, const std::string& sub) {
  const std::int64_t n = a.v4.hc_mult;
  const std::int64_t mix = (2 + n) * n;
  s.Matrix(p + "hc_" + sub + "_fn", mix, n * a.hidden_size);
  s.Normal(p + "hc_" + sub + "_base", {mix}, 0.1);
  s.Constant(p + "hc_" + sub + "_scale", {3}, 0.5);
}

void Deepseek(SpecList& s, const models::Architecture& a) {
  const std::int64_t d = a.hidden_size;
  s.Table("embed.weight", a.vocab_size, d);
  const bool mhc = UsesMhc(a);
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    const std::string p = fmt::format("layers.{}.", i);
    s.Ones(p + "attn_norm.weight", d);
    s.Ones(p + "ffn_norm.weight", d);
    DeepseekAttention(s, a, p, a.layers[i].attention);
    DeepseekFfn(s, a, p, a.layers[i].ffn);
    if (mhc) {
      Mhc(s, a, p, "attn");
      Mhc(s, a, p, "ffn");
    }
  }
  s.Ones("norm.weight", d);
  if (!a.tie_word_embeddings) s.Matrix("head.weight", a.vocab_size, d);
  if (mhc) {
    const std::int64_t n = a.v4.hc_mult;
    s.Matrix("hc_head_fn", n, n * d);
    s.Normal("hc_head_base", {n}, 0.1);
    s.Constant("hc_head_scale", {1}, 0.5);
  }
}

void HuggingFace(SpecList& s, const models::Architecture& a) {
  const std::int64_t d = a.hidden_size;
  const std::int64_t h = a.num_heads;
  const auto& g = a.gqa;
  s.Table("model.embed_tokens.weight", a.vocab_size, d);
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    const std::string p = fmt::format("model.layers.{}.", i);
    const auto& layer = a.layers[i];
    if (layer.attention != AttentionKind::kGqa) {
      throw Error(
          fmt::format("architecture '{}': layer {} is '{}', but a {} model names only gqa "
                      "layers' tensors",
                      a.name, i, models::ToString(layer.attention), a.model_type));
    }
    s.Ones(p + "input_layernorm.weight", d);
    s.Ones(p + "post_attention_layernorm.weight", d);
    s.Matrix(p + "self_attn.q_proj.weight", h * g.head_dim, d);
    s.Matrix(p + "self_attn.k_proj.weight", g.num_kv_heads * g.head_dim, d);
    s.Matrix(p + "self_attn.v_proj.weight", g.num_kv_heads * g.head_dim, d);
    s.Matrix(p + "self_attn.o_proj.weight", d, h * g.head_dim);
    if (g.qkv_bias) {
      s.Normal(p + "self_attn.q_proj.bias", {h * g.head_dim}, 0.02);
      s.Normal(p + "self_attn.k_proj.bias", {g.num_kv_heads * g.head_dim}, 0.02);
      s.Normal(p + "self_attn.v_proj.bias", {g.num_kv_heads * g.head_dim}, 0.02);
    }
    if (g.qk_norm) {
      s.Ones(p + "self_attn.q_norm.weight", g.head_dim);
      s.Ones(p + "self_attn.k_norm.weight", g.head_dim);
    }
    if (layer.ffn == FfnKind::kDense) {
      s.Matrix(p + "mlp.gate_proj.weight", a.dense_intermediate_size, d);
      s.Matrix(p + "mlp.up_proj.weight", a.dense_intermediate_size, d);
      s.Matrix(p + "mlp.down_proj.weight", d, a.dense_intermediate_size);
      continue;
    }
    const auto& m = a.moe;
    if (layer.ffn == FfnKind::kMoe) {
      s.Matrix(p + "mlp.gate.weight", m.num_routed_experts, d);
    } else {
      s.ExpertTable(p + "mlp.gate.tid2eid", a.vocab_size, m.experts_per_token);
    }
    for (std::int64_t e = 0; e < m.num_routed_experts; ++e) {
      const std::string q = fmt::format("{}mlp.experts.{}.", p, e);
      s.Matrix(q + "gate_proj.weight", m.expert_intermediate_size, d);
      s.Matrix(q + "up_proj.weight", m.expert_intermediate_size, d);
      s.Matrix(q + "down_proj.weight", d, m.expert_intermediate_size);
    }
    if (m.num_shared_experts > 0) {
      const std::int64_t width = m.num_shared_experts * m.expert_intermediate_size;
      s.Matrix(p + "mlp.shared_expert.gate_proj.weight", width, d);
      s.Matrix(p + "mlp.shared_expert.up_proj.weight", width, d);
      s.Matrix(p + "mlp.shared_expert.down_proj.weight", d, width);
    }
  }
  s.Ones("model.norm.weight", d);
  if (!a.tie_word_embeddings) s.Matrix("lm_head.weight", a.vocab_size, d);
}

}  // namespace

std::int64_t TensorSpec::Elements() const {
  std::int64_t n = 1;
  for (const std::int64_t dim : shape) n *= dim;
  return n;
}

std::vector<TensorSpec> TensorSpecs(const models::Architecture& arch) {
  CheckSupported(arch);
  std::vector<TensorSpec> out;
  SpecList list(out);
  if (UsesDeepseekNames(arch)) {
    Deepseek(list, arch);
  } else {
    HuggingFace(list, arch);
  }
  return out;
}

}  // namespace infermeter::engines::reference
