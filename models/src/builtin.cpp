#include "infermeter/models/builtin.h"

#include <algorithm>
#include <cctype>
#include <functional>

namespace infermeter::models {
namespace {

std::vector<LayerSpec> Uniform(std::int64_t count, AttentionKind attention, FfnKind ffn) {
  return std::vector<LayerSpec>(static_cast<std::size_t>(count), LayerSpec{attention, ffn});
}

// DeepSeek-V3-style layer list: the first `dense` layers have a dense FFN, the rest MoE.
std::vector<LayerSpec> FirstKDense(std::int64_t count, std::int64_t dense,
                                   AttentionKind attention) {
  auto layers = Uniform(count, attention, FfnKind::kMoe);
  for (std::int64_t i = 0; i < dense && i < count; ++i) layers[i].ffn = FfnKind::kDense;
  return layers;
}

// DeepSeek-V4 layer list from the checkpoint's compress_ratios (0 = swa, 4 = csa,
// 128 = hca); the first `hash_layers` use the hash-routed MoE.
std::vector<LayerSpec> V4Layers(const std::vector<int>& ratios, std::int64_t hash_layers) {
  std::vector<LayerSpec> layers;
  for (const int ratio : ratios) {
    const AttentionKind kind = ratio == 0   ? AttentionKind::kSwa
                               : ratio == 4 ? AttentionKind::kCsa
                                            : AttentionKind::kHca;
    const FfnKind ffn =
        static_cast<std::int64_t>(layers.size()) < hash_layers ? FfnKind::kHashMoe : FfnKind::kMoe;
    layers.push_back({kind, ffn});
  }
  return layers;
}

// `prefix`, then `pair` repeated `repeats` times, then `suffix`: how V4 schedules are written.
std::vector<int> Schedule(std::vector<int> prefix, std::vector<int> pair, int repeats,
                          const std::vector<int>& suffix) {
  for (int i = 0; i < repeats; ++i) prefix.insert(prefix.end(), pair.begin(), pair.end());
  prefix.insert(prefix.end(), suffix.begin(), suffix.end());
  return prefix;
}

// --- Published models (docs/COST_MODEL.md, "Sources") ---

// deepseek-ai/DeepSeek-V3 inference/configs/config_671B.json (research notes §1.1).
Architecture DeepseekV3() {
  Architecture a;
  a.name = "deepseek-v3";
  a.model_type = "deepseek_v3";
  a.hidden_size = 7168;
  a.vocab_size = 129280;
  a.num_heads = 128;
  a.max_position_embeddings = 163840;
  a.mla = {.q_lora_rank = 1536,
           .kv_lora_rank = 512,
           .qk_nope_head_dim = 128,
           .qk_rope_head_dim = 64,
           .v_head_dim = 128};
  a.dense_intermediate_size = 18432;
  a.moe = {.num_routed_experts = 256,
           .experts_per_token = 8,
           .num_shared_experts = 1,
           .expert_intermediate_size = 2048};
  a.mtp_layers = 1;
  a.layers = FirstKDense(61, 3, AttentionKind::kMla);
  return a;
}

// V3 plus DSA: index_n_heads 64, index_head_dim 128, index_topk 2048 (notes §2.1).
Architecture DeepseekV32() {
  Architecture a = DeepseekV3();
  a.name = "deepseek-v3.2";
  a.model_type = "deepseek_v32";
  a.indexer = {.num_heads = 64, .head_dim = 128, .top_k = 2048};
  a.layers = FirstKDense(61, 3, AttentionKind::kDsa);
  return a;
}

// The V4 fields both sizes share (notes §3.2).
Architecture DeepseekV4Common() {
  Architecture a;
  a.model_type = "deepseek_v4";
  a.vocab_size = 129280;
  a.max_position_embeddings = 1048576;
  a.v4 = {.head_dim = 512,
          .rope_head_dim = 64,
          .q_lora_rank = 0,
          .o_groups = 0,
          .o_lora_rank = 1024,
          .sliding_window_tokens = 128,
          .csa_ratio_tokens = 4,
          .hca_ratio_tokens = 128,
          .hc_mult = 4};
  a.indexer = {.num_heads = 64, .head_dim = 128, .top_k = 0};
  a.mtp_layers = 1;
  return a;
}

Architecture DeepseekV4Pro() {
  Architecture a = DeepseekV4Common();
  a.name = "deepseek-v4-pro";
  a.hidden_size = 7168;
  a.num_heads = 128;
  a.v4.q_lora_rank = 1536;
  a.v4.o_groups = 16;
  a.indexer.top_k = 1024;
  a.moe = {.num_routed_experts = 384,
           .experts_per_token = 6,
           .num_shared_experts = 1,
           .expert_intermediate_size = 3072};
  // compress_ratios [128,128] + [4,128]x29 + [4] (MTP's trailing 0 dropped): 30 csa, 31 hca.
  a.layers = V4Layers(Schedule({128, 128}, {4, 128}, 29, {4}), 3);
  return a;
}

Architecture DeepseekV4Flash() {
  Architecture a = DeepseekV4Common();
  a.name = "deepseek-v4-flash";
  a.hidden_size = 4096;
  a.num_heads = 64;
  a.v4.q_lora_rank = 1024;
  a.v4.o_groups = 8;
  a.indexer.top_k = 512;
  a.moe = {.num_routed_experts = 256,
           .experts_per_token = 6,
           .num_shared_experts = 1,
           .expert_intermediate_size = 2048};
  // compress_ratios [0,0] + [4,128]x20 + [4]: 2 swa, 21 csa, 20 hca.
  a.layers = V4Layers(Schedule({0, 0}, {4, 128}, 20, {4}), 3);
  return a;
}

// Llama 3.1 and Qwen3 values are from their public Hugging Face config.json files; the
// research notes do not cover them (docs/COST_MODEL.md says so).
Architecture Llama(std::string name, std::int64_t hidden, std::int64_t layers, std::int64_t heads,
                   std::int64_t intermediate) {
  Architecture a;
  a.name = std::move(name);
  a.model_type = "llama";
  a.hidden_size = hidden;
  a.vocab_size = 128256;
  a.num_heads = heads;
  a.max_position_embeddings = 131072;
  a.gqa = {.num_kv_heads = 8, .head_dim = 128};
  a.dense_intermediate_size = intermediate;
  a.layers = Uniform(layers, AttentionKind::kGqa, FfnKind::kDense);
  return a;
}

Architecture Qwen3_235B() {
  Architecture a;
  a.name = "qwen3-235b-a22b";
  a.model_type = "qwen3_moe";
  a.hidden_size = 4096;
  a.vocab_size = 151936;
  a.num_heads = 64;
  a.max_position_embeddings = 40960;
  a.gqa = {.num_kv_heads = 4, .head_dim = 128, .qk_norm = true};
  a.moe = {.num_routed_experts = 128,
           .experts_per_token = 8,
           .num_shared_experts = 0,
           .expert_intermediate_size = 1536};
  a.layers = Uniform(94, AttentionKind::kGqa, FfnKind::kMoe);
  return a;
}

// --- Presets for the reference engine (docs/COST_MODEL.md, "Presets") ---
// All share one width so that architectures compare like for like: hidden 512, 8 query heads,
// 11 layers, 16 routed experts of width 256 with top-2 plus 1 shared, vocabulary 16384. The
// attention head shapes stay at full size (MLA latent 512 + rope 64, V4 head 512, indexer key
// 128) so each cache entry has exactly the byte layout of the full model, and the context
// ratios (window 128, CSA 4, HCA 128, top-k 512 / 2048) are the full models' too.
constexpr std::int64_t kMiniHidden = 512;
constexpr std::int64_t kMiniLayers = 11;
constexpr std::int64_t kMiniHeads = 8;
constexpr std::int64_t kMiniVocab = 16384;
constexpr MoeDims kMiniMoe = {.num_routed_experts = 16,
                              .experts_per_token = 2,
                              .num_shared_experts = 1,
                              .expert_intermediate_size = 256};
// Dense FFN width that does the same work per token as the MoE block: (top-k + shared) x 256.
constexpr std::int64_t kMiniDenseIntermediate = 768;
constexpr IndexerDims kMiniIndexer = {.num_heads = 16, .head_dim = 128, .top_k = 0};

Architecture V4Mini() {
  Architecture a;
  a.name = "v4-mini";
  a.model_type = "deepseek_v4";
  a.hidden_size = kMiniHidden;
  a.vocab_size = kMiniVocab;
  a.num_heads = kMiniHeads;
  a.max_position_embeddings = 1048576;
  a.v4 = {.head_dim = 512,
          .rope_head_dim = 64,
          .q_lora_rank = 256,
          .o_groups = 2,
          .o_lora_rank = 256,
          .sliding_window_tokens = 128,
          .csa_ratio_tokens = 4,
          .hca_ratio_tokens = 128,
          .hc_mult = 4};
  a.indexer = kMiniIndexer;
  a.indexer.top_k = 512;  // V4-Flash's
  a.moe = kMiniMoe;
  // V4-Flash's schedule shortened: [0,0] + [4,128]x4 + [4] = 2 swa, 5 csa, 4 hca.
  a.layers = V4Layers(Schedule({0, 0}, {4, 128}, 4, {4}), 2);
  return a;
}

Architecture V3Mini() {
  Architecture a;
  a.name = "v3-mini";
  a.model_type = "deepseek_v3";
  a.hidden_size = kMiniHidden;
  a.vocab_size = kMiniVocab;
  a.num_heads = kMiniHeads;
  a.max_position_embeddings = 163840;
  a.mla = {.q_lora_rank = 256,
           .kv_lora_rank = 512,
           .qk_nope_head_dim = 128,
           .qk_rope_head_dim = 64,
           .v_head_dim = 128};
  a.dense_intermediate_size = kMiniDenseIntermediate;
  a.moe = kMiniMoe;
  a.layers = FirstKDense(kMiniLayers, 1, AttentionKind::kMla);
  return a;
}

Architecture V32Mini() {
  Architecture a = V3Mini();
  a.name = "v3.2-mini";
  a.model_type = "deepseek_v32";
  a.indexer = kMiniIndexer;
  a.indexer.top_k = 2048;  // V3.2's
  a.layers = FirstKDense(kMiniLayers, 1, AttentionKind::kDsa);
  return a;
}

Architecture LlamaMini() {
  Architecture a;
  a.name = "llama-mini";
  a.model_type = "llama";
  a.hidden_size = kMiniHidden;
  a.vocab_size = kMiniVocab;
  a.num_heads = kMiniHeads;
  a.max_position_embeddings = 131072;
  a.gqa = {.num_kv_heads = 2, .head_dim = 64};  // Llama-3.1's 4:1 query:kv head ratio
  a.dense_intermediate_size = kMiniDenseIntermediate;
  a.layers = Uniform(kMiniLayers, AttentionKind::kGqa, FfnKind::kDense);
  return a;
}

// Unit-test size with every V4 layer kind and both MoE kinds: about 3 M parameters.
Architecture Tiny() {
  Architecture a;
  a.name = "tiny";
  a.model_type = "deepseek_v4";
  a.hidden_size = 128;
  a.vocab_size = 1024;
  a.num_heads = 2;
  a.max_position_embeddings = 1048576;
  a.v4 = {.head_dim = 512,
          .rope_head_dim = 64,
          .q_lora_rank = 64,
          .o_groups = 1,
          .o_lora_rank = 64,
          .sliding_window_tokens = 128,
          .csa_ratio_tokens = 4,
          .hca_ratio_tokens = 128,
          .hc_mult = 4};
  a.indexer = {.num_heads = 2, .head_dim = 128, .top_k = 512};
  a.moe = {.num_routed_experts = 4,
           .experts_per_token = 2,
           .num_shared_experts = 1,
           .expert_intermediate_size = 128};
  a.layers = V4Layers({0, 4, 128, 4}, 1);
  return a;
}

struct Entry {
  BuiltinInfo info;
  std::function<Architecture()> make;
};

const std::vector<Entry>& Entries() {
  static const std::vector<Entry> entries = {
      {{"deepseek-v3",
        {"v3"},
        "DeepSeek-V3/V3.1: 61 MLA layers, 3 dense + 58 MoE (256 experts, top-8)"},
       DeepseekV3},
      {{"deepseek-v3.2", {"v3.2"}, "DeepSeek-V3.2: V3 with DSA (indexer 64x128, top-2048 tokens)"},
       DeepseekV32},
      {{"deepseek-v4-pro",
        {"v4-pro"},
        "DeepSeek-V4-Pro: 61 layers (30 CSA + 31 HCA), 384 experts, top-6"},
       DeepseekV4Pro},
      {{"deepseek-v4-flash",
        {"v4-flash"},
        "DeepSeek-V4-Flash: 43 layers (2 SWA + 21 CSA + 20 HCA), 256 experts, top-6"},
       DeepseekV4Flash},
      {{"llama-3.1-8b", {}, "Llama-3.1-8B: 32 GQA layers (32 q / 8 kv heads), dense SwiGLU"},
       [] { return Llama("llama-3.1-8b", 4096, 32, 32, 14336); }},
      {{"llama-3.1-70b", {}, "Llama-3.1-70B: 80 GQA layers (64 q / 8 kv heads), dense SwiGLU"},
       [] { return Llama("llama-3.1-70b", 8192, 80, 64, 28672); }},
      {{"qwen3-235b-a22b",
        {},
        "Qwen3-235B-A22B: 94 GQA layers (64 q / 4 kv heads), 128 experts, top-8"},
       Qwen3_235B},
      {{"tiny", {}, "preset: 4 V4 layers (swa, csa, hca, csa) at width 128, unit tests", true},
       Tiny},
      {{"v4-mini",
        {},
        "preset: V4-Flash schedule at width 512, 11 layers (2 swa + 5 csa + 4 hca)",
        true},
       V4Mini},
      {{"v3-mini", {}, "preset: V3 (MLA) at v4-mini's width and depth", true}, V3Mini},
      {{"v3.2-mini", {}, "preset: V3.2 (DSA) at v4-mini's width and depth", true}, V32Mini},
      {{"llama-mini", {}, "preset: Llama-style dense GQA at v4-mini's width and depth", true},
       LlamaMini},
  };
  return entries;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

const std::vector<BuiltinInfo>& Builtins() {
  static const std::vector<BuiltinInfo> infos = [] {
    std::vector<BuiltinInfo> out;
    for (const auto& entry : Entries()) out.push_back(entry.info);
    return out;
  }();
  return infos;
}

std::optional<Architecture> FindBuiltin(std::string_view name) {
  const std::string wanted = Lower(name);
  for (const auto& entry : Entries()) {
    if (entry.info.name == wanted || std::find(entry.info.aliases.begin(), entry.info.aliases.end(),
                                               wanted) != entry.info.aliases.end()) {
      return entry.make();
    }
  }
  return std::nullopt;
}

}  // namespace infermeter::models
