#include "infermeter/models/config_reader.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/core/error.h"
#include "infermeter/models/builtin.h"

namespace infermeter::models {
namespace {

using Json = nlohmann::json;

std::string TypeName(const Json& value) {
  if (value.is_number_integer()) return "an integer";
  if (value.is_number()) return "a fractional number";
  if (value.is_null()) return "null";
  return fmt::format("a {}", value.type_name());
}

// Typed access to the fields of one JSON object, with errors that name the file, the JSON
// path and the field. Remembers which fields were read so the strict form can reject the rest.
class Fields {
 public:
  Fields(const Json& object, std::string source, std::string path)
      : object_(object), source_(std::move(source)), path_(std::move(path)) {}

  [[noreturn]] void Fail(const std::string& field, const std::string& problem) const {
    throw InputError({.source = source_, .path = path_, .field = field}, problem);
  }

  bool Has(const std::string& name) const { return object_.contains(name); }

  const Json& Get(const std::string& name) {
    read_.insert(name);
    const auto it = object_.find(name);
    if (it == object_.end()) Fail(name, fmt::format("missing; {}", requirement_));
    return *it;
  }

  std::int64_t Int(const std::string& name) { return AsInt(name, Get(name)); }

  // A required integer that must be > 0.
  std::int64_t Positive(const std::string& name) {
    const std::int64_t value = Int(name);
    if (value <= 0) Fail(name, fmt::format("expected a positive integer, got {}", value));
    return value;
  }

  std::int64_t IntOr(const std::string& name, std::int64_t fallback) {
    read_.insert(name);
    const auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return fallback;
    return AsInt(name, *it);
  }

  bool BoolOr(const std::string& name, bool fallback) {
    read_.insert(name);
    const auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) Fail(name, fmt::format("expected true or false, got {}", TypeName(*it)));
    return it->get<bool>();
  }

  std::string String(const std::string& name) {
    const Json& value = Get(name);
    if (!value.is_string()) Fail(name, fmt::format("expected a string, got {}", TypeName(value)));
    return value.get<std::string>();
  }

  std::string StringOr(const std::string& name, std::string fallback) {
    return Has(name) ? String(name) : (read_.insert(name), fallback);
  }

  std::vector<std::int64_t> IntList(const std::string& name) {
    const Json& value = Get(name);
    if (!value.is_array()) {
      Fail(name, fmt::format("expected an array of integers, got {}", TypeName(value)));
    }
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (!value[i].is_number_integer()) {
        Fail(name, fmt::format("element {}: expected an integer, got {}", i, TypeName(value[i])));
      }
      out.push_back(value[i].get<std::int64_t>());
    }
    return out;
  }

  std::vector<std::string> StringList(const std::string& name) {
    const Json& value = Get(name);
    if (!value.is_array()) {
      Fail(name, fmt::format("expected an array of strings, got {}", TypeName(value)));
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (!value[i].is_string()) {
        Fail(name, fmt::format("element {}: expected a string, got {}", i, TypeName(value[i])));
      }
      out.push_back(value[i].get<std::string>());
    }
    return out;
  }

  // A nested object; an absent one reads as empty (every field takes its default).
  Fields Object(const std::string& name) {
    read_.insert(name);
    static const Json kEmpty = Json::object();
    const auto it = object_.find(name);
    if (it == object_.end()) return Fields(kEmpty, source_, path_ + "." + name);
    if (!it->is_object()) Fail(name, fmt::format("expected an object, got {}", TypeName(*it)));
    return Fields(*it, source_, path_ + "." + name);
  }

  // Fails on the first field that was never read (strict form only).
  void RejectUnknown() const {
    for (const auto& [key, value] : object_.items()) {
      if (!read_.contains(key)) Fail(key, "unknown field");
    }
  }

  void SetRequirement(std::string text) { requirement_ = std::move(text); }

 private:
  std::int64_t AsInt(const std::string& name, const Json& value) const {
    if (!value.is_number_integer()) {
      Fail(name, fmt::format("expected an integer, got {}", TypeName(value)));
    }
    return value.get<std::int64_t>();
  }

  const Json& object_;
  std::string source_;
  std::string path_;
  std::set<std::string> read_;
  std::string requirement_ = "required";
};

// --- Hugging Face config.json ---

void RejectUnmodelled(Fields& f, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (f.Has(name)) {
      f.Fail(name,
             "changes the architecture in a way the cost model does not represent "
             "(see docs/COST_MODEL.md)");
    }
  }
}

void CheckTopK(Fields& f, const char* top_k_field, std::int64_t top_k, std::int64_t experts,
               const char* experts_field) {
  if (top_k > experts) {
    f.Fail(top_k_field, fmt::format("{} experts per token, more than the {} in '{}'", top_k,
                                    experts, experts_field));
  }
}

Architecture ReadLlamaOrQwen(Fields& f, const std::string& model_type) {
  Architecture a;
  a.model_type = model_type;
  a.hidden_size = f.Positive("hidden_size");
  const std::int64_t layers = f.Positive("num_hidden_layers");
  a.num_heads = f.Positive("num_attention_heads");
  a.vocab_size = f.Positive("vocab_size");
  a.max_position_embeddings = f.IntOr("max_position_embeddings", 0);
  a.tie_word_embeddings = f.BoolOr("tie_word_embeddings", false);
  a.gqa.num_kv_heads = f.IntOr("num_key_value_heads", a.num_heads);
  if (a.gqa.num_kv_heads <= 0 || a.num_heads % a.gqa.num_kv_heads != 0) {
    f.Fail("num_key_value_heads",
           fmt::format("expected a positive divisor of num_attention_heads ({}), got {}",
                       a.num_heads, a.gqa.num_kv_heads));
  }
  if (f.Has("head_dim") && !f.Get("head_dim").is_null()) {
    a.gqa.head_dim = f.Positive("head_dim");
  } else {
    if (a.hidden_size % a.num_heads != 0) {
      f.Fail("num_attention_heads",
             fmt::format("{} heads do not divide hidden_size {} and no head_dim is given",
                         a.num_heads, a.hidden_size));
    }
    a.gqa.head_dim = a.hidden_size / a.num_heads;
  }
  a.gqa.qkv_bias = f.BoolOr("attention_bias", model_type == "qwen2");
  a.gqa.qk_norm = model_type != "llama";
  if (f.BoolOr("use_sliding_window", false)) {
    f.Fail("use_sliding_window", "sliding-window Qwen layers are not modelled");
  }

  std::vector<bool> moe(static_cast<std::size_t>(layers), false);
  if (model_type == "qwen3_moe") {
    a.moe.num_routed_experts = f.Positive("num_experts");
    a.moe.experts_per_token = f.Positive("num_experts_per_tok");
    CheckTopK(f, "num_experts_per_tok", a.moe.experts_per_token, a.moe.num_routed_experts,
              "num_experts");
    a.moe.expert_intermediate_size = f.Positive("moe_intermediate_size");
    const std::int64_t step = f.IntOr("decoder_sparse_step", 1);
    if (step <= 0) f.Fail("decoder_sparse_step", "expected a positive integer");
    std::set<std::int64_t> dense_only;
    if (f.Has("mlp_only_layers")) {
      for (const auto i : f.IntList("mlp_only_layers")) {
        if (i < 0 || i >= layers) {
          f.Fail("mlp_only_layers", fmt::format("layer {} is outside 0..{}", i, layers - 1));
        }
        dense_only.insert(i);
      }
    }
    // Qwen3-MoE's rule: layer i is sparse unless listed, when (i + 1) is a multiple of step.
    for (std::int64_t i = 0; i < layers; ++i) {
      moe[static_cast<std::size_t>(i)] = !dense_only.contains(i) && (i + 1) % step == 0;
    }
  }
  const bool any_dense = std::find(moe.begin(), moe.end(), false) != moe.end();
  if (any_dense) a.dense_intermediate_size = f.Positive("intermediate_size");
  for (const bool sparse : moe) {
    a.layers.push_back({AttentionKind::kGqa, sparse ? FfnKind::kMoe : FfnKind::kDense});
  }
  return a;
}

void ReadDeepseekMoe(Fields& f, Architecture& a, const char* top_k_field) {
  a.moe.num_routed_experts = f.Positive("n_routed_experts");
  a.moe.experts_per_token = f.Positive(top_k_field);
  CheckTopK(f, top_k_field, a.moe.experts_per_token, a.moe.num_routed_experts, "n_routed_experts");
  a.moe.num_shared_experts = f.IntOr("n_shared_experts", 0);
  if (a.moe.num_shared_experts < 0) f.Fail("n_shared_experts", "expected 0 or more");
  a.moe.expert_intermediate_size = f.Positive("moe_intermediate_size");
}

void ReadIndexer(Fields& f, Architecture& a) {
  a.indexer.num_heads = f.Positive("index_n_heads");
  a.indexer.head_dim = f.Positive("index_head_dim");
  a.indexer.top_k = f.Positive("index_topk");
}

Architecture ReadDeepseekV3(Fields& f, const std::string& model_type) {
  Architecture a;
  a.model_type = model_type;
  a.hidden_size = f.Positive("hidden_size");
  const std::int64_t layers = f.Positive("num_hidden_layers");
  a.num_heads = f.Positive("num_attention_heads");
  a.vocab_size = f.Positive("vocab_size");
  a.max_position_embeddings = f.IntOr("max_position_embeddings", 0);
  a.tie_word_embeddings = f.BoolOr("tie_word_embeddings", false);
  a.mla.q_lora_rank = f.IntOr("q_lora_rank", 0);  // null in configs without a query latent
  if (a.mla.q_lora_rank < 0) f.Fail("q_lora_rank", "expected null or a positive integer");
  a.mla.kv_lora_rank = f.Positive("kv_lora_rank");
  a.mla.qk_rope_head_dim = f.Positive("qk_rope_head_dim");
  a.mla.qk_nope_head_dim = f.Positive("qk_nope_head_dim");
  a.mla.v_head_dim = f.Positive("v_head_dim");
  ReadDeepseekMoe(f, a, "num_experts_per_tok");
  if (f.IntOr("moe_layer_freq", 1) != 1) {
    f.Fail("moe_layer_freq", "only 1 (every layer after first_k_dense_replace is MoE) is modelled");
  }
  const std::int64_t dense = f.IntOr("first_k_dense_replace", 0);
  if (dense < 0 || dense > layers) {
    f.Fail("first_k_dense_replace",
           fmt::format("expected 0..num_hidden_layers ({}), got {}", layers, dense));
  }
  if (dense > 0) a.dense_intermediate_size = f.Positive("intermediate_size");
  a.mtp_layers = f.IntOr("num_nextn_predict_layers", 0);
  const bool dsa = model_type == "deepseek_v32";
  if (dsa) {
    ReadIndexer(f, a);
    if (a.mla.q_lora_rank == 0) {
      f.Fail("q_lora_rank", "DSA's indexer reads the query latent: expected a positive integer");
    }
  }
  const AttentionKind kind = dsa ? AttentionKind::kDsa : AttentionKind::kMla;
  for (std::int64_t i = 0; i < layers; ++i) {
    a.layers.push_back({kind, i < dense ? FfnKind::kDense : FfnKind::kMoe});
  }
  return a;
}

Architecture ReadDeepseekV4(Fields& f) {
  Architecture a;
  a.model_type = "deepseek_v4";
  RejectUnmodelled(f, {"kv_source_layer_ids", "index_source_layer_ids", "engram_layer_ids"});
  a.hidden_size = f.Positive("hidden_size");
  const std::int64_t layers = f.Positive("num_hidden_layers");
  a.num_heads = f.Positive("num_attention_heads");
  a.vocab_size = f.Positive("vocab_size");
  a.max_position_embeddings = f.IntOr("max_position_embeddings", 0);
  a.tie_word_embeddings = f.BoolOr("tie_word_embeddings", false);
  if (const std::int64_t kv = f.IntOr("num_key_value_heads", 1); kv != 1) {
    f.Fail("num_key_value_heads", fmt::format("V4 attention has 1 shared KV head, got {}", kv));
  }
  a.v4.head_dim = f.Positive("head_dim");
  a.v4.rope_head_dim = f.IntOr("qk_rope_head_dim", 64);
  if (a.v4.rope_head_dim <= 0 || a.v4.rope_head_dim >= a.v4.head_dim) {
    f.Fail("qk_rope_head_dim", fmt::format("expected 1..head_dim-1 ({}), got {}", a.v4.head_dim - 1,
                                           a.v4.rope_head_dim));
  }
  a.v4.q_lora_rank = f.Positive("q_lora_rank");
  a.v4.o_groups = f.Positive("o_groups");
  if (a.num_heads % a.v4.o_groups != 0) {
    f.Fail("o_groups", fmt::format("{} groups do not divide num_attention_heads {}", a.v4.o_groups,
                                   a.num_heads));
  }
  a.v4.o_lora_rank = f.Positive("o_lora_rank");
  a.v4.sliding_window_tokens = f.Positive("sliding_window");
  a.v4.hc_mult = f.IntOr("hc_mult", 4);  // defaults: transformers' DeepseekV4Config
  if (a.v4.hc_mult <= 0) f.Fail("hc_mult", "expected a positive integer");
  a.v4.csa_ratio_tokens = f.IntOr("compress_rate_csa", 4);
  a.v4.hca_ratio_tokens = f.IntOr("compress_rate_hca", 128);
  ReadIndexer(f, a);
  ReadDeepseekMoe(f, a, "num_experts_per_tok");
  a.mtp_layers = f.IntOr("num_nextn_predict_layers", 0);
  if (a.mtp_layers < 0) f.Fail("num_nextn_predict_layers", "expected 0 or more");

  // The checkpoint's compress_ratios has one entry per layer, then one per MTP module.
  const auto ratios = f.IntList("compress_ratios");
  const auto expected = static_cast<std::size_t>(layers);
  if (ratios.size() != expected && ratios.size() != expected + a.mtp_layers) {
    f.Fail("compress_ratios",
           fmt::format("has {} entries; expected num_hidden_layers ({}) or num_hidden_layers + "
                       "num_nextn_predict_layers ({})",
                       ratios.size(), layers, layers + a.mtp_layers));
  }
  const std::int64_t hash_layers = f.IntOr("num_hash_layers", 3);
  if (hash_layers < 0 || hash_layers > layers) {
    f.Fail("num_hash_layers", fmt::format("expected 0..{}, got {}", layers, hash_layers));
  }
  for (std::size_t i = 0; i < expected; ++i) {
    AttentionKind kind;
    if (ratios[i] == 0) {
      kind = AttentionKind::kSwa;
    } else if (ratios[i] == a.v4.csa_ratio_tokens) {
      kind = AttentionKind::kCsa;
    } else if (ratios[i] == a.v4.hca_ratio_tokens) {
      kind = AttentionKind::kHca;
    } else {
      f.Fail("compress_ratios",
             fmt::format("entry {} is {}; expected 0 (sliding window), {} (CSA) or {} (HCA)", i,
                         ratios[i], a.v4.csa_ratio_tokens, a.v4.hca_ratio_tokens));
    }
    const FfnKind ffn =
        static_cast<std::int64_t>(i) < hash_layers ? FfnKind::kHashMoe : FfnKind::kMoe;
    a.layers.push_back({kind, ffn});
  }
  return a;
}

Architecture ReadHuggingFace(Fields& f) {
  const std::string model_type = f.String("model_type");
  f.SetRequirement(fmt::format("required for model_type '{}'", model_type));
  if (model_type == "llama" || model_type == "qwen3" || model_type == "qwen3_moe") {
    return ReadLlamaOrQwen(f, model_type);
  }
  if (model_type == "deepseek_v3" || model_type == "deepseek_v32") {
    return ReadDeepseekV3(f, model_type);
  }
  if (model_type == "deepseek_v4") return ReadDeepseekV4(f);
  f.Fail("model_type", fmt::format("unknown model_type '{}'; expected one of llama, qwen3, "
                                   "qwen3_moe, deepseek_v3, deepseek_v32, deepseek_v4",
                                   model_type));
}

// --- infermeter's own form ---

Architecture ReadOwn(Fields& f) {
  Architecture a;
  f.String("format");
  a.name = f.String("name");
  a.model_type = f.StringOr("model_type", "");
  a.hidden_size = f.Int("hidden_size");
  a.vocab_size = f.Int("vocab_size");
  a.tie_word_embeddings = f.BoolOr("tie_word_embeddings", false);
  a.num_heads = f.Int("num_heads");
  a.max_position_embeddings = f.IntOr("max_position_embeddings", 0);
  a.dense_intermediate_size = f.IntOr("dense_intermediate_size", 0);
  a.mtp_layers = f.IntOr("mtp_layers", 0);

  Fields g = f.Object("gqa");
  a.gqa = {.num_kv_heads = g.IntOr("num_kv_heads", 0),
           .head_dim = g.IntOr("head_dim", 0),
           .qkv_bias = g.BoolOr("qkv_bias", false),
           .qk_norm = g.BoolOr("qk_norm", false)};
  g.RejectUnknown();
  Fields m = f.Object("mla");
  a.mla = {.q_lora_rank = m.IntOr("q_lora_rank", 0),
           .kv_lora_rank = m.IntOr("kv_lora_rank", 0),
           .qk_nope_head_dim = m.IntOr("qk_nope_head_dim", 0),
           .qk_rope_head_dim = m.IntOr("qk_rope_head_dim", 0),
           .v_head_dim = m.IntOr("v_head_dim", 0)};
  m.RejectUnknown();
  Fields i = f.Object("indexer");
  a.indexer = {.num_heads = i.IntOr("num_heads", 0),
               .head_dim = i.IntOr("head_dim", 0),
               .top_k = i.IntOr("top_k", 0)};
  i.RejectUnknown();
  Fields v = f.Object("v4");
  a.v4 = {.head_dim = v.IntOr("head_dim", 0),
          .rope_head_dim = v.IntOr("rope_head_dim", 0),
          .q_lora_rank = v.IntOr("q_lora_rank", 0),
          .o_groups = v.IntOr("o_groups", 0),
          .o_lora_rank = v.IntOr("o_lora_rank", 0),
          .sliding_window_tokens = v.IntOr("sliding_window_tokens", 0),
          .csa_ratio_tokens = v.IntOr("csa_ratio_tokens", 0),
          .hca_ratio_tokens = v.IntOr("hca_ratio_tokens", 0),
          .hc_mult = v.IntOr("hc_mult", 1)};
  v.RejectUnknown();
  Fields e = f.Object("moe");
  a.moe = {.num_routed_experts = e.IntOr("num_routed_experts", 0),
           .experts_per_token = e.IntOr("experts_per_token", 0),
           .num_shared_experts = e.IntOr("num_shared_experts", 0),
           .expert_intermediate_size = e.IntOr("expert_intermediate_size", 0)};
  e.RejectUnknown();

  const auto attention = f.StringList("attention_layers");
  const auto ffn = f.StringList("ffn_layers");
  if (attention.size() != ffn.size()) {
    f.Fail("ffn_layers",
           fmt::format("has {} entries but attention_layers has {}", ffn.size(), attention.size()));
  }
  for (std::size_t k = 0; k < attention.size(); ++k) {
    const auto at = ParseAttentionKind(attention[k]);
    if (!at) {
      f.Fail("attention_layers", fmt::format("entry {} is '{}'; expected gqa, mla, dsa, swa, "
                                             "csa or hca",
                                             k, attention[k]));
    }
    const auto ff = ParseFfnKind(ffn[k]);
    if (!ff) {
      f.Fail("ffn_layers",
             fmt::format("entry {} is '{}'; expected dense, moe or hash_moe", k, ffn[k]));
    }
    a.layers.push_back({*at, *ff});
  }
  f.RejectUnknown();
  return a;
}

std::string BaseName(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (const auto dot = name.rfind('.'); dot != std::string::npos && dot > 0) name.resize(dot);
  return name;
}

}  // namespace

Architecture ParseArchitecture(std::string_view text, const std::string& source) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::parse_error& e) {
    const auto upto = text.substr(0, std::min<std::size_t>(e.byte, text.size()));
    const auto line = 1 + std::count(upto.begin(), upto.end(), '\n');
    throw InputError({.source = source, .line = line}, fmt::format("not valid JSON: {}", e.what()));
  }
  if (!root.is_object()) {
    throw InputError({.source = source, .path = "$"},
                     fmt::format("expected a JSON object, got {}", TypeName(root)));
  }
  Fields fields(root, source, "$");
  Architecture arch;
  if (fields.Has("format")) {
    const std::string format = fields.String("format");
    if (format != kArchitectureFormat) {
      fields.Fail("format", fmt::format("expected '{}', got '{}'", kArchitectureFormat, format));
    }
    arch = ReadOwn(fields);
  } else if (fields.Has("model_type")) {
    arch = ReadHuggingFace(fields);
    arch.name = fields.Has("_name_or_path") ? fields.String("_name_or_path") : BaseName(source);
  } else {
    fields.Fail("model_type", fmt::format("missing: expected a Hugging Face config.json (with "
                                          "model_type) or infermeter's form (with \"format\": "
                                          "\"{}\")",
                                          kArchitectureFormat));
  }
  Validate(arch, source);
  return arch;
}

Architecture LoadArchitecture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({.source = path}, "cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseArchitecture(text.str(), path);
}

Architecture ResolveArchitecture(const std::string& name_or_path) {
  if (auto builtin = FindBuiltin(name_or_path)) return *builtin;
  std::ifstream probe(name_or_path);
  if (!probe) {
    std::string names;
    for (const auto& info : Builtins()) names += (names.empty() ? "" : ", ") + info.name;
    throw InputError(
        {.source = name_or_path},
        fmt::format("neither a built-in architecture ({}) nor a readable file", names));
  }
  return LoadArchitecture(name_or_path);
}

std::string ArchitectureToJson(const Architecture& a) {
  nlohmann::ordered_json j;
  j["format"] = kArchitectureFormat;
  j["name"] = a.name;
  j["model_type"] = a.model_type;
  j["hidden_size"] = a.hidden_size;
  j["vocab_size"] = a.vocab_size;
  j["tie_word_embeddings"] = a.tie_word_embeddings;
  j["num_heads"] = a.num_heads;
  j["max_position_embeddings"] = a.max_position_embeddings;
  j["dense_intermediate_size"] = a.dense_intermediate_size;
  j["mtp_layers"] = a.mtp_layers;
  j["gqa"] = {{"num_kv_heads", a.gqa.num_kv_heads},
              {"head_dim", a.gqa.head_dim},
              {"qkv_bias", a.gqa.qkv_bias},
              {"qk_norm", a.gqa.qk_norm}};
  j["mla"] = {{"q_lora_rank", a.mla.q_lora_rank},
              {"kv_lora_rank", a.mla.kv_lora_rank},
              {"qk_nope_head_dim", a.mla.qk_nope_head_dim},
              {"qk_rope_head_dim", a.mla.qk_rope_head_dim},
              {"v_head_dim", a.mla.v_head_dim}};
  j["indexer"] = {{"num_heads", a.indexer.num_heads},
                  {"head_dim", a.indexer.head_dim},
                  {"top_k", a.indexer.top_k}};
  j["v4"] = {{"head_dim", a.v4.head_dim},
             {"rope_head_dim", a.v4.rope_head_dim},
             {"q_lora_rank", a.v4.q_lora_rank},
             {"o_groups", a.v4.o_groups},
             {"o_lora_rank", a.v4.o_lora_rank},
             {"sliding_window_tokens", a.v4.sliding_window_tokens},
             {"csa_ratio_tokens", a.v4.csa_ratio_tokens},
             {"hca_ratio_tokens", a.v4.hca_ratio_tokens},
             {"hc_mult", a.v4.hc_mult}};
  j["moe"] = {{"num_routed_experts", a.moe.num_routed_experts},
              {"experts_per_token", a.moe.experts_per_token},
              {"num_shared_experts", a.moe.num_shared_experts},
              {"expert_intermediate_size", a.moe.expert_intermediate_size}};
  auto attention = nlohmann::ordered_json::array();
  auto ffn = nlohmann::ordered_json::array();
  for (const auto& layer : a.layers) {
    attention.push_back(ToString(layer.attention));
    ffn.push_back(ToString(layer.ffn));
  }
  j["attention_layers"] = attention;
  j["ffn_layers"] = ffn;
  return j.dump(2) + "\n";
}

}  // namespace infermeter::models
