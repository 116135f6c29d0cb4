// The config.json reader on fixtures written from the research notes' config tables
// (tests/data/models/), every kind of bad input, and the round trip of infermeter's own form.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "infermeter/core/error.h"
#include "infermeter/models/builtin.h"
#include "infermeter/models/config_reader.h"
#include "infermeter/models/params.h"

namespace infermeter::models {
namespace {

std::string Fixture(const std::string& name) {
  const char* root = std::getenv("INFERMETER_SOURCE_DIR");
  return std::string(root ? root : ".") + "/tests/data/models/" + name;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ConfigReader, HuggingFaceFixturesMatchTheBuiltins) {
  const std::pair<const char*, const char*> cases[] = {
      {"deepseek_v3_config.json", "deepseek-v3"},
      {"deepseek_v32_config.json", "deepseek-v3.2"},
      {"deepseek_v4_flash_config.json", "deepseek-v4-flash"},
      {"llama_3.1_8b_config.json", "llama-3.1-8b"},
      {"qwen3_235b_a22b_config.json", "qwen3-235b-a22b"},
  };
  for (const auto& [file, builtin] : cases) {
    Architecture read = LoadArchitecture(Fixture(file));
    Architecture expected = FindBuiltin(builtin).value();
    EXPECT_EQ(read.name, std::string(file).substr(0, std::string(file).size() - 5));
    read.name = expected.name;
    EXPECT_EQ(read, expected) << file << "\n"
                              << ArchitectureToJson(read) << "\nvs\n"
                              << ArchitectureToJson(expected);
  }
}

TEST(ConfigReader, OwnFormRoundTrips) {
  for (const auto& info : Builtins()) {
    const Architecture arch = FindBuiltin(info.name).value();
    const std::string json = ArchitectureToJson(arch);
    EXPECT_EQ(ParseArchitecture(json, "roundtrip.json"), arch) << info.name;
    EXPECT_EQ(ArchitectureToJson(ParseArchitecture(json, "x")), json) << info.name;
  }
}

// Applies `edit` to a fixture, parses it, and checks the error names the file and `field`.
void ExpectFieldError(const std::string& fixture, const std::function<void(nlohmann::json&)>& edit,
                      const std::string& field, const std::string& problem_part = "") {
  auto json = nlohmann::json::parse(ReadText(Fixture(fixture)));
  edit(json);
  try {
    ParseArchitecture(json.dump(), "edited/" + fixture);
    ADD_FAILURE() << "no error for field " << field << " in " << fixture;
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().source, "edited/" + fixture);
    EXPECT_EQ(e.where().field, field) << e.what();
    EXPECT_NE(std::string(e.what()).find(problem_part), std::string::npos) << e.what();
  }
}

TEST(ConfigReader, BadHuggingFaceInputNamesTheField) {
  const std::string v3 = "deepseek_v3_config.json";
  ExpectFieldError(
      v3, [](auto& j) { j["model_type"] = "gpt2"; }, "model_type", "unknown model_type 'gpt2'");
  ExpectFieldError(
      v3, [](auto& j) { j.erase("model_type"); }, "model_type", "missing");
  ExpectFieldError(
      v3, [](auto& j) { j.erase("kv_lora_rank"); }, "kv_lora_rank",
      "required for model_type 'deepseek_v3'");
  ExpectFieldError(
      v3, [](auto& j) { j["hidden_size"] = "7168"; }, "hidden_size",
      "expected an integer, got a string");
  ExpectFieldError(
      v3, [](auto& j) { j["hidden_size"] = 7168.5; }, "hidden_size", "fractional");
  ExpectFieldError(
      v3, [](auto& j) { j["num_attention_heads"] = 0; }, "num_attention_heads", "positive");
  ExpectFieldError(
      v3, [](auto& j) { j["num_experts_per_tok"] = 300; }, "num_experts_per_tok",
      "more than the 256");
  ExpectFieldError(
      v3, [](auto& j) { j["first_k_dense_replace"] = 62; }, "first_k_dense_replace");
  ExpectFieldError(
      v3, [](auto& j) { j["moe_layer_freq"] = 2; }, "moe_layer_freq");
  ExpectFieldError(
      v3, [](auto& j) { j["tie_word_embeddings"] = 1; }, "tie_word_embeddings", "true or false");
  ExpectFieldError(
      "deepseek_v32_config.json", [](auto& j) { j.erase("index_topk"); }, "index_topk",
      "required for model_type 'deepseek_v32'");

  const std::string v4 = "deepseek_v4_flash_config.json";
  ExpectFieldError(
      v4, [](auto& j) { j["compress_ratios"][5] = 16; }, "compress_ratios", "entry 5 is 16");
  ExpectFieldError(
      v4, [](auto& j) { j["compress_ratios"] = std::vector<int>(42, 4); }, "compress_ratios",
      "has 42 entries");
  ExpectFieldError(
      v4, [](auto& j) { j["compress_ratios"] = "4,128"; }, "compress_ratios", "array");
  ExpectFieldError(
      v4, [](auto& j) { j["num_key_value_heads"] = 8; }, "num_key_value_heads");
  ExpectFieldError(
      v4, [](auto& j) { j["o_groups"] = 7; }, "o_groups", "do not divide");
  ExpectFieldError(
      v4, [](auto& j) { j["qk_rope_head_dim"] = 512; }, "qk_rope_head_dim");
  ExpectFieldError(
      v4,
      [](auto& j) {
        j["kv_source_layer_ids"] = {0, 1};
      },
      "kv_source_layer_ids", "does not represent");

  const std::string llama = "llama_3.1_8b_config.json";
  ExpectFieldError(
      llama, [](auto& j) { j["num_key_value_heads"] = 5; }, "num_key_value_heads", "divisor");
  ExpectFieldError(
      llama,
      [](auto& j) {
        j.update({{"num_attention_heads", 30}, {"num_key_value_heads", 30}});
      },
      "num_attention_heads", "do not divide hidden_size");
  const std::string qwen = "qwen3_235b_a22b_config.json";
  ExpectFieldError(
      qwen, [](auto& j) { j["num_experts_per_tok"] = 129; }, "num_experts_per_tok");
  ExpectFieldError(
      qwen, [](auto& j) { j["mlp_only_layers"] = {94}; }, "mlp_only_layers");
  ExpectFieldError(
      qwen, [](auto& j) { j["use_sliding_window"] = true; }, "use_sliding_window");
}

TEST(ConfigReader, QwenDenseOnlyLayersNeedIntermediateSize) {
  auto json = nlohmann::json::parse(ReadText(Fixture("qwen3_235b_a22b_config.json")));
  json["mlp_only_layers"] = {0, 1};
  const Architecture a = ParseArchitecture(json.dump(), "q.json");
  EXPECT_EQ(a.layers[0].ffn, FfnKind::kDense);
  EXPECT_EQ(a.layers[2].ffn, FfnKind::kMoe);
  EXPECT_EQ(a.dense_intermediate_size, 12288);
}

TEST(ConfigReader, BadOwnFormInput) {
  const std::string good = ArchitectureToJson(FindBuiltin("v4-mini").value());
  const auto expect = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& path,
                          const std::string& field) {
    auto json = nlohmann::json::parse(good);
    edit(json);
    try {
      ParseArchitecture(json.dump(), "mine.json");
      ADD_FAILURE() << "no error for " << path << " " << field;
    } catch (const InputError& e) {
      EXPECT_EQ(e.where().path, path) << e.what();
      EXPECT_EQ(e.where().field, field) << e.what();
    }
  };
  expect([](auto& j) { j["colour"] = "red"; }, "$", "colour");
  expect([](auto& j) { j["moe"]["expert_count"] = 3; }, "$.moe", "expert_count");
  expect([](auto& j) { j["format"] = "infermeter.architecture/9"; }, "$", "format");
  expect([](auto& j) { j["moe"]["experts_per_token"] = 17; }, "$.moe", "experts_per_token");
  expect([](auto& j) { j["v4"]["o_groups"] = 3; }, "$.v4", "o_groups");
  expect([](auto& j) { j["attention_layers"][0] = "flash"; }, "$", "attention_layers");
  expect([](auto& j) { j["ffn_layers"].erase(0); }, "$", "ffn_layers");
  expect([](auto& j) { j["indexer"]["top_k"] = 0; }, "$.indexer", "top_k");
  expect([](auto& j) { j["hidden_size"] = -1; }, "$", "hidden_size");
  expect([](auto& j) { j["v4"] = 5; }, "$", "v4");
}

TEST(ConfigReader, NotJsonOrNotAnObject) {
  try {
    ParseArchitecture("{\n  \"model_type\": \"llama\",\n  oops\n}", "broken.json");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().line, 3) << e.what();
  }
  EXPECT_THROW(ParseArchitecture("[1, 2]", "array.json"), InputError);
  EXPECT_THROW(LoadArchitecture("/nonexistent/config.json"), InputError);
  EXPECT_THROW(ResolveArchitecture("no-such-model"), InputError);
}

TEST(ConfigReader, ResolveTakesNamesAliasesAndPaths) {
  EXPECT_EQ(ResolveArchitecture("V4-Pro").name, "deepseek-v4-pro");
  EXPECT_EQ(ResolveArchitecture(Fixture("llama_3.1_8b_config.json")).hidden_size, 4096);
}

}  // namespace
}  // namespace infermeter::models
