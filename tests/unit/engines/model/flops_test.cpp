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

// V4 reduces its mHC streams with hc_head before the final norm, once per row of logits; the
// cost model does not count that small matmul and mix (docs/COST_MODEL.md: mHC parameters at
// the LM head are not modelled), so it is added to the expectation here.
double HcHeadFlops(const models::Architecture& a) {
  const bool v4 = a.Uses(models::AttentionKind::kSwa) || a.Uses(models::AttentionKind::kCsa) ||
                  a.Uses(models::AttentionKind::kHca);
  if (!v4 || a.v4.hc_mult <= 1) return 0;
  const double n = static_cast<double>(a.v4.hc_mult);
  const double d = static_cast<double>(a.hidden_size);
  return 2.0 * n * n * d + 2.0 * n * d;
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

void CheckPreset(const char* name, const std::vector<std::int64_t>& lengths) {
  const models::Architecture arch = models::FindBuiltin(name).value();
  ModelRunner runner(arch, 7);
  for (const std::int64_t length : lengths) {
    TestSequence seq{MakeTokens(length + 1, arch.vocab_size, 11), {}};
    FlopsByOpClass prefill{};
    runner.Run(seq, {length}, &prefill);
    models::FlopsByClass expected = models::PrefillFlops(arch, length);
    expected.other_flops += HcHeadFlops(arch);
    ExpectClose(ToClasses(prefill), expected, fmt::format("{} prefill {}", name, length));

    // One decode step: the new token sees length + 1 tokens.
    FlopsByOpClass decode{};
    runner.Step({&seq}, {1}, &decode);
    expected = models::DecodeFlopsPerToken(arch, length + 1);
    expected.other_flops += HcHeadFlops(arch);
    ExpectClose(ToClasses(decode), expected, fmt::format("{} decode at {}", name, length + 1));
    runner.Release(seq);
  }
}

// tiny also runs past the CSA indexer's top-k (512 entries = 2048 tokens) and many HCA entries.
TEST(ModelFlops, TinyMatchesCostModel) { CheckPreset("tiny", {1, 200, 700, 2100}); }
TEST(ModelFlops, V4MiniMatchesCostModel) { CheckPreset("v4-mini", {1, 200, 700}); }
TEST(ModelFlops, V3MiniMatchesCostModel) { CheckPreset("v3-mini", {1, 200, 700}); }
TEST(ModelFlops, V32MiniMatchesCostModel) { CheckPreset("v3.2-mini", {1, 200, 700}); }
TEST(ModelFlops, LlamaMiniMatchesCostModel) { CheckPreset("llama-mini", {1, 200, 700}); }

}  // namespace
}  // namespace infermeter::engines::reference::testing
