#include "model/layer_weights.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "infermeter/core/error.h"

namespace infermeter::engines::reference {
namespace {

using models::AttentionKind;
using models::FfnKind;

void CheckAgainstSpecs(const models::Architecture& arch, const ModelWeights& weights) {
  for (const TensorSpec& spec : TensorSpecs(arch)) {
    const WeightTensor* t = weights.Find(spec.name);
    if (t == nullptr) {
      throw Error(fmt::format("model '{}': weights lack tensor '{}'", arch.name, spec.name));
    }
    bool ok = t->shape == spec.shape;
    switch (spec.storage) {
      case TensorStorage::kBf16Matrix:
        ok = ok && static_cast<std::int64_t>(t->matrices.size()) == spec.row_groups;
        break;
      case TensorStorage::kF32:
        ok = ok && static_cast<std::int64_t>(t->values.size()) == spec.Elements();
        break;
      case TensorStorage::kI32:
        ok = ok && static_cast<std::int64_t>(t->indices.size()) == spec.Elements();
        break;
    }
    if (!ok) {
      throw Error(fmt::format("model '{}': tensor '{}' has shape [{}], expected [{}]", arch.name,
                              spec.name, fmt::join(t->shape, ", "), fmt::join(spec.shape, ", ")));
    }
  }
}

// Row r of an N x K BF16 matrix's values.
const Bf16* Row(const Bf16Matrix& m, std::int64_t r) { return m.data() + r * m.cols(); }

// W_UK[h]^T and W_UV[h] from wkv_b, whose rows are, per head, nope key rows then v rows.
void DeriveAbsorption(const models::Architecture& a, LayerWeights& l) {
  const auto& m = a.mla;
  const std::int64_t per_head = m.qk_nope_head_dim + m.v_head_dim;
  const std::int64_t r = m.kv_lora_rank;
  for (std::int64_t h = 0; h < a.num_heads; ++h) {
    std::vector<Bf16> k_t(static_cast<std::size_t>(r * m.qk_nope_head_dim));
    for (std::int64_t i = 0; i < m.qk_nope_head_dim; ++i) {
      const Bf16* row = Row(*l.wkv_b, h * per_head + i);
      for (std::int64_t c = 0; c < r; ++c) {
        k_t[static_cast<std::size_t>(c * m.qk_nope_head_dim + i)] = row[c];
      }
    }
    l.absorb_k.emplace_back(r, m.qk_nope_head_dim, std::move(k_t));
    const Bf16* v_first = Row(*l.wkv_b, h * per_head + m.qk_nope_head_dim);
    l.absorb_v.emplace_back(m.v_head_dim, r,
                            std::vector<Bf16>(v_first, v_first + m.v_head_dim * r));
  }
}

class Resolver {
 public:
  Resolver(const ModelWeights& w, std::string prefix) : w_(w), prefix_(std::move(prefix)) {}
  const Bf16Matrix* M(const std::string& name, std::size_t group = 0) const {
    return &w_.Matrix(prefix_ + name, group);
  }
  const float* V(const std::string& name) const { return w_.Values(prefix_ + name).data(); }
  std::span<const std::int32_t> I(const std::string& name) const {
    return w_.Indices(prefix_ + name);
  }
  CompressorWeights Compressor(const std::string& p, std::int64_t ratio, std::int64_t head_dim,
                               bool overlap) const {
    return {M(p + "wkv.weight"),
            M(p + "wgate.weight"),
            V(p + "ape"),
            V(p + "norm.weight"),
            ratio,
            head_dim,
            overlap};
  }
  MhcWeights Mhc(const std::string& sub) const {
    return {M("hc_" + sub + "_fn"), V("hc_" + sub + "_base"), V("hc_" + sub + "_scale")};
  }

 private:
  const ModelWeights& w_;
  std::string prefix_;
};

void ResolveDeepseekLayer(const models::Architecture& a, const ModelTraits& traits,
                          const Resolver& r, LayerWeights& l) {
  l.attn_norm = r.V("attn_norm.weight");
  l.ffn_norm = r.V("ffn_norm.weight");
  switch (l.spec.attention) {
    case AttentionKind::kGqa:
      l.wq = r.M("attn.wq.weight");
      l.wk = r.M("attn.wk.weight");
      l.wv = r.M("attn.wv.weight");
      l.wo = r.M("attn.wo.weight");
      break;
    case AttentionKind::kMla:
    case AttentionKind::kDsa:
      if (a.mla.q_lora_rank > 0) {
        l.wq_a = r.M("attn.wq_a.weight");
        l.q_norm = r.V("attn.q_norm.weight");
        l.wq_b = r.M("attn.wq_b.weight");
      } else {
        l.wq = r.M("attn.wq.weight");
      }
      l.wkv_a = r.M("attn.wkv_a.weight");
      l.kv_norm = r.V("attn.kv_norm.weight");
      l.wkv_b = r.M("attn.wkv_b.weight");
      l.wo = r.M("attn.wo.weight");
      DeriveAbsorption(a, l);
      if (l.spec.attention == AttentionKind::kDsa) {
        l.idx_wq_b = r.M("attn.indexer.wq_b.weight");
        l.idx_wk = r.M("attn.indexer.wk.weight");
        l.idx_k_norm = r.V("attn.indexer.k_norm.weight");
        l.idx_k_bias = r.V("attn.indexer.k_norm.bias");
        l.idx_weights = r.M("attn.indexer.weights_proj.weight");
      }
      break;
    case AttentionKind::kSwa:
    case AttentionKind::kCsa:
    case AttentionKind::kHca: {
      const auto& v = a.v4;
      l.wq_a = r.M("attn.wq_a.weight");
      l.q_norm = r.V("attn.q_norm.weight");
      l.wq_b = r.M("attn.wq_b.weight");
      l.wkv = r.M("attn.wkv.weight");
      l.kv_norm = r.V("attn.kv_norm.weight");
      for (std::int64_t g = 0; g < v.o_groups; ++g) {
        l.wo_a.push_back(r.M("attn.wo_a.weight", static_cast<std::size_t>(g)));
      }
      l.wo_b = r.M("attn.wo_b.weight");
      l.sink = r.V("attn.attn_sink");
      if (l.spec.attention == AttentionKind::kCsa) {
        l.compressor = r.Compressor("attn.compressor.", v.csa_ratio_tokens, v.head_dim, true);
        l.idx_wq_b = r.M("attn.indexer.wq_b.weight");
        l.idx_weights = r.M("attn.indexer.weights_proj.weight");
        l.idx_compressor =
            r.Compressor("attn.indexer.compressor.", v.csa_ratio_tokens, a.indexer.head_dim, true);
      } else if (l.spec.attention == AttentionKind::kHca) {
        l.compressor = r.Compressor("attn.compressor.", v.hca_ratio_tokens, v.head_dim, false);
      }
      if (traits.mhc) {
        l.hc_attn = r.Mhc("attn");
        l.hc_ffn = r.Mhc("ffn");
      }
      break;
    }
  }
  if (l.spec.ffn == FfnKind::kDense) {
    l.dense = {r.M("ffn.w1.weight"), r.M("ffn.w3.weight"), r.M("ffn.w2.weight")};
    return;
  }
  if (l.spec.ffn == FfnKind::kMoe) {
    l.router = r.M("ffn.gate.weight");
    l.router_bias = r.V("ffn.gate.bias");
  } else {
    l.tid2eid = r.I("ffn.gate.tid2eid");
  }
  for (std::int64_t e = 0; e < a.moe.num_routed_experts; ++e) {
    const std::string p = fmt::format("ffn.experts.{}.", e);
    l.experts.push_back({r.M(p + "w1.weight"), r.M(p + "w3.weight"), r.M(p + "w2.weight")});
  }
  if (a.moe.num_shared_experts > 0) {
    l.shared = {r.M("ffn.shared_experts.w1.weight"), r.M("ffn.shared_experts.w3.weight"),
                r.M("ffn.shared_experts.w2.weight")};
  }
}

void ResolveHuggingFaceLayer(const models::Architecture& a, const Resolver& r, LayerWeights& l) {
  l.attn_norm = r.V("input_layernorm.weight");
  l.ffn_norm = r.V("post_attention_layernorm.weight");
  l.wq = r.M("self_attn.q_proj.weight");
  l.wk = r.M("self_attn.k_proj.weight");
  l.wv = r.M("self_attn.v_proj.weight");
  l.wo = r.M("self_attn.o_proj.weight");
  if (a.gqa.qkv_bias) {
    l.q_bias = r.V("self_attn.q_proj.bias");
    l.k_bias = r.V("self_attn.k_proj.bias");
    l.v_bias = r.V("self_attn.v_proj.bias");
  }
  if (a.gqa.qk_norm) {
    l.q_head_norm = r.V("self_attn.q_norm.weight");
    l.k_head_norm = r.V("self_attn.k_norm.weight");
  }
  if (l.spec.ffn == FfnKind::kDense) {
    l.dense = {r.M("mlp.gate_proj.weight"), r.M("mlp.up_proj.weight"), r.M("mlp.down_proj.weight")};
    return;
  }
  if (l.spec.ffn == FfnKind::kMoe) {
    l.router = r.M("mlp.gate.weight");
  } else {
    l.tid2eid = r.I("mlp.gate.tid2eid");
  }
  for (std::int64_t e = 0; e < a.moe.num_routed_experts; ++e) {
    const std::string p = fmt::format("mlp.experts.{}.", e);
    l.experts.push_back(
        {r.M(p + "gate_proj.weight"), r.M(p + "up_proj.weight"), r.M(p + "down_proj.weight")});
  }
  if (a.moe.num_shared_experts > 0) {
    l.shared = {r.M("mlp.shared_expert.gate_proj.weight"), r.M("mlp.shared_expert.up_proj.weight"),
                r.M("mlp.shared_expert.down_proj.weight")};
  }
}

}  // namespace

ModelView BuildModelView(const models::Architecture& arch, const ModelTraits& traits,
                         const ModelWeights& weights) {
  CheckAgainstSpecs(arch, weights);
  ModelView view;
  view.embed = &weights.Matrix(traits.embed_name);
  view.final_norm = weights.Values(traits.final_norm_name).data();
  view.head = &weights.Matrix(traits.head_name);
  if (traits.mhc) view.hc_head = Resolver(weights, "").Mhc("head");
  view.layers.resize(arch.layers.size());
  for (std::size_t i = 0; i < arch.layers.size(); ++i) {
    LayerWeights& l = view.layers[i];
    l.spec = arch.layers[i];
    const Resolver r(weights, LayerPrefix(arch, i));
    if (traits.deepseek_names) {
      ResolveDeepseekLayer(arch, traits, r, l);
    } else {
      ResolveHuggingFaceLayer(arch, r, l);
    }
  }
  return view;
}

}  // namespace infermeter::engines::reference
