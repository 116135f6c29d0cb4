#pragma once
// What a model is, as far as cost is concerned: widths, depths and the kind of every layer.
// A plain value: no weights, no behaviour. The cost functions (params.h, flops.h, kv_cache.h)
// read it; builtin.h names the ones we ship; config_reader.h builds one from a file.
// All sizes are element counts (not bytes) unless the name says otherwise.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infermeter::models {

// How one layer attends. Names in JSON and on the command line are the lower-case tags.
enum class AttentionKind {
  kGqa,  // "gqa": dense grouped-query attention over every earlier token (Llama, Qwen)
  kMla,  // "mla": DeepSeek-V3 multi-head latent attention, dense over every earlier token
  kDsa,  // "dsa": DeepSeek-V3.2: MLA over the top-k tokens a lightning indexer picks
  kSwa,  // "swa": DeepSeek-V4 sliding window only (compress ratio 0)
  kCsa,  // "csa": DeepSeek-V4 compressed sparse attention: 1 entry per csa_ratio tokens,
         // indexer top-k over the entries, plus the sliding window
  kHca,  // "hca": DeepSeek-V4 heavily compressed attention: 1 entry per hca_ratio tokens,
         // all of them, plus the sliding window
};

// The feed-forward block of one layer.
enum class FfnKind {
  kDense,    // "dense": SwiGLU with dense_intermediate_size
  kMoe,      // "moe": learned router, top-k routed experts plus the shared experts
  kHashMoe,  // "hash_moe": DeepSeek-V4's first layers: experts picked by a token-id table
             // (no router GEMM), otherwise like kMoe
};

std::string_view ToString(AttentionKind kind);
std::string_view ToString(FfnKind kind);
std::optional<AttentionKind> ParseAttentionKind(std::string_view tag);
std::optional<FfnKind> ParseFfnKind(std::string_view tag);

// Dense attention heads (kGqa layers).
struct GqaDims {
  std::int64_t num_kv_heads = 0;
  std::int64_t head_dim = 0;
  bool qkv_bias = false;  // biases on the q/k/v projections (Qwen2); counted as parameters
  bool qk_norm = false;   // RMSNorm over each q and k head (Qwen3); counted as parameters
  bool operator==(const GqaDims&) const = default;
};

// Multi-head latent attention (kMla and kDsa layers). The cache holds kv_lora_rank +
// qk_rope_head_dim elements per token and layer.
struct MlaDims {
  std::int64_t q_lora_rank = 0;  // 0: queries projected straight from the hidden state
  std::int64_t kv_lora_rank = 0;
  std::int64_t qk_nope_head_dim = 0;
  std::int64_t qk_rope_head_dim = 0;
  std::int64_t v_head_dim = 0;
  bool operator==(const MlaDims&) const = default;
};

// The lightning indexer (kDsa and kCsa layers). For kDsa, top_k counts tokens; for kCsa it
// counts compressed entries.
struct IndexerDims {
  std::int64_t num_heads = 0;
  std::int64_t head_dim = 0;
  std::int64_t top_k = 0;
  bool operator==(const IndexerDims&) const = default;
};

// DeepSeek-V4 attention (kSwa, kCsa, kHca layers): one shared 512-wide vector per token serves
// as key and value; a grouped low-rank output projection; mHC residual streams.
struct V4Dims {
  std::int64_t head_dim = 0;       // K = V width (512), of which rope_head_dim get RoPE
  std::int64_t rope_head_dim = 0;  // 64
  std::int64_t q_lora_rank = 0;
  std::int64_t o_groups = 0;     // output projection groups g
  std::int64_t o_lora_rank = 0;  // per-group width d_g
  std::int64_t sliding_window_tokens = 0;
  std::int64_t csa_ratio_tokens = 0;  // tokens per compressed entry in kCsa layers (4)
  std::int64_t hca_ratio_tokens = 0;  // tokens per compressed entry in kHca layers (128)
  std::int64_t hc_mult = 1;           // mHC residual streams (4); 1 means no mHC
  bool operator==(const V4Dims&) const = default;
};

// Mixture-of-experts FFN (kMoe and kHashMoe layers). Every expert, routed or shared, is a
// SwiGLU with expert_intermediate_size.
struct MoeDims {
  std::int64_t num_routed_experts = 0;
  std::int64_t experts_per_token = 0;  // routed experts each token uses (top-k)
  std::int64_t num_shared_experts = 0;
  std::int64_t expert_intermediate_size = 0;
  bool operator==(const MoeDims&) const = default;
};

struct LayerSpec {
  AttentionKind attention = AttentionKind::kGqa;
  FfnKind ffn = FfnKind::kDense;
  bool operator==(const LayerSpec&) const = default;
};

// A model architecture. Only the sub-structs that its layer kinds use need to be filled in.
// `layers` lists the main model's decoder layers; multi-token-prediction modules are recorded
// in mtp_layers and never counted in parameters, FLOPs or KV bytes (see docs/COST_MODEL.md).
struct Architecture {
  std::string name;        // "deepseek-v4-pro", "v4-mini", or what a config file gives
  std::string model_type;  // Hugging Face model_type it corresponds to ("deepseek_v4")
  std::int64_t hidden_size = 0;
  std::int64_t vocab_size = 0;
  bool tie_word_embeddings = false;  // LM head shares the input embedding matrix
  std::int64_t num_heads = 0;        // query heads (all attention kinds)
  std::int64_t max_position_embeddings = 0;
  GqaDims gqa;
  MlaDims mla;
  IndexerDims indexer;
  V4Dims v4;
  std::int64_t dense_intermediate_size = 0;  // kDense layers
  MoeDims moe;
  std::int64_t mtp_layers = 0;
  std::vector<LayerSpec> layers;

  bool operator==(const Architecture&) const = default;

  std::int64_t CountLayers(AttentionKind kind) const;
  std::int64_t CountLayers(FfnKind kind) const;
  bool Uses(AttentionKind kind) const { return CountLayers(kind) > 0; }
  bool Uses(FfnKind kind) const { return CountLayers(kind) > 0; }
};

// Throws InputError (source = `source`, field = the infermeter JSON field name) when the
// architecture is not self-consistent: non-positive widths, heads that do not divide, top-k
// larger than the expert count, a layer kind whose dimensions are missing, and so on.
void Validate(const Architecture& arch, const std::string& source);

}  // namespace infermeter::models
