// The FLOPs the model executes equal the analytic cost model (docs/COST_MODEL.md) within 1%
// per op class and in total, for prefill and decode of every preset. The engine counts from
// the shapes it runs (model/README.md); the cost model from closed forms; neither reads the
// other.

#include <gtest/gtest.h>

#include <array>
#include <string>

#include <fmt/format.h>

#include "infermeter/models/builtin.h"
#include "infermeter/models/flops.h"
#include "model_runner.h"

namespace infermeter::engines::reference::testing {
namespace {

models::FlopsByClass ToClasses(const FlopsByOpClass& f) {
  return {f[0], f[1], f[2], f[3], f[4], f[5]};
}

void ExpectClose(const models::FlopsByClass& engine, models::FlopsByClass model,
                 const std::string& what) {
  const std::array<std::pair<const char*, std::pair<double, double>>, 7> rows = {{
      {"dense_gemm", {engine.dense_gemm_flops, model.dense_gemm_flops}},
      {"expert_gemm", {engine.expert_gemm_flops, model.expert_gemm_flops}},
      {"attention", {engine.attention_flops, model.attention_flops}},
      {"indexer", {engine.indexer_flops, model.indexer_flops}},
      {"compressor", {engine.compressor_flops, model.compressor_flops}},
      {"other", {engine.other_flops, model.other_flops}},
      {"total", {engine.Total(), model.Total()}},
  }};
  for (const auto& [name, values] : rows) {
    const auto [got, want] = values;
    if (want == 0) {
      EXPECT_EQ(got, 0) << what << " " << name;
    } else {
      EXPECT_LE(std::abs(got / want - 1.0), 0.01)
          << what << " " << name << ": engine " << got << ", cost model " << want;
    }
  }
}

void Check(const models::Architecture& arch, const std::vector<std::int64_t>& lengths) {
  const std::string& name = arch.name;
  ModelRunner runner(arch, 7);
  for (const std::int64_t length : lengths) {
    TestSequence seq{MakeTokens(length + 1, arch.vocab_size, 11), {}};
    FlopsByOpClass prefill{};
    runner.Run(seq, {length}, &prefill);
    models::FlopsByClass expected = models::PrefillFlops(arch, length);
    ExpectClose(ToClasses(prefill), expected, fmt::format("{} prefill {}", name, length));

    // One decode step: the new token sees length + 1 tokens.
    FlopsByOpClass decode{};
    runner.Step({&seq}, {1}, &decode);
    expected = models::DecodeFlopsPerToken(arch, length + 1);
    ExpectClose(ToClasses(decode), expected, fmt::format("{} decode at {}", name, length + 1));
    runner.Release(seq);
  }
}

models::Architecture Preset(const char* name) { return models::FindBuiltin(name).value(); }

// tiny also runs past the CSA indexer's top-k (512 entries = 2048 tokens) and many HCA entries.
TEST(ModelFlops, TinyMatchesCostModel) { Check(Preset("tiny"), {1, 200, 700, 2100}); }
TEST(ModelFlops, V4MiniMatchesCostModel) { Check(Preset("v4-mini"), {1, 200, 700}); }
TEST(ModelFlops, V3MiniMatchesCostModel) { Check(Preset("v3-mini"), {1, 200, 700}); }
TEST(ModelFlops, V32MiniMatchesCostModel) { Check(Preset("v3.2-mini"), {1, 200, 700}); }
TEST(ModelFlops, LlamaMiniMatchesCostModel) { Check(Preset("llama-mini"), {1, 200, 700}); }

// DSA past its top-k: v3.2-mini's 2048 is beyond these prompts, so a 2-layer cut with top-k 64.
TEST(ModelFlops, DsaPastTopKMatchesCostModel) {
  models::Architecture a = Preset("v3.2-mini");
  a.name = "v3.2-mini-topk64";
  a.layers.resize(2);
  a.indexer.top_k = 64;
  Check(a, {1, 200});
}

// A GQA model with the options llama-mini lacks (Qwen-style q/k norms and qkv biases, MoE
// with softmax routing and no shared expert).
TEST(ModelFlops, QwenStyleGqaMoeMatchesCostModel) {
  models::Architecture a = Preset("llama-mini");
  a.name = "qwen-mini";
  a.model_type = "qwen3_moe";
  a.layers.resize(3);
  a.gqa.qk_norm = true;
  a.gqa.qkv_bias = true;
  a.moe = {.num_routed_experts = 8,
           .experts_per_token = 2,
           .num_shared_experts = 0,
           .expert_intermediate_size = 128};
  for (auto& layer : a.layers) layer.ffn = models::FfnKind::kMoe;
  Check(a, {1, 100});
}

}  // namespace
}  // namespace infermeter::engines::reference::testing
