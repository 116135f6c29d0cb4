// FLOP counts against the research notes' worked example (deepseek-cost-model.md §2.3, §4.3,
// §4.6) and against brute-force sums. Expected values: by hand from the §4.3 formulas,
// re-checked with python (e.g. 278,528 * 2048 * 61 for V3.2 main attention at 1M).

#include <gtest/gtest.h>

#include <algorithm>

#include "infermeter/models/builtin.h"
#include "infermeter/models/decode_traffic.h"
#include "infermeter/models/flops.h"
#include "infermeter/models/params.h"

namespace infermeter::models {
namespace {

constexpr std::int64_t kMillion = 1048576;

Architecture Get(const char* name) { return FindBuiltin(name).value(); }

TEST(Flops, V32DecodePerLayerMatchesNotes) {
  const auto a = Get("deepseek-v3.2");
  // Notes §2.3: main attention 278,528 * min(L, 2048); indexer scores 16,512 * L.
  const auto f = LayerTokenFlops(a, 10, kMillion, Phase::kDecode);
  EXPECT_DOUBLE_EQ(f.attention_flops, 278528.0 * 2048);
  const double indexer_gemms = 2.0 * (1536 * 64 * 128 + 7168 * 128 + 7168 * 64);
  EXPECT_DOUBLE_EQ(f.indexer_flops, 16512.0 * kMillion + indexer_gemms);
  EXPECT_EQ(f.compressor_flops, 0);
}

TEST(Flops, V4ProDecodePerLayerMatchesNotes) {
  const auto a = Get("deepseek-v4-pro");
  ASSERT_EQ(a.layers[2].attention, AttentionKind::kCsa);
  ASSERT_EQ(a.layers[3].attention, AttentionKind::kHca);
  // Notes §4.3: CSA 2*H*1024*(min(k, L/4) + min(L,128)), HCA 2*H*1024*(L/128 + min(L,128)).
  EXPECT_DOUBLE_EQ(LayerTokenFlops(a, 2, kMillion, Phase::kDecode).attention_flops,
                   2.0 * 128 * 1024 * (1024 + 128));
  EXPECT_DOUBLE_EQ(LayerTokenFlops(a, 3, kMillion, Phase::kDecode).attention_flops,
                   2.0 * 128 * 1024 * (8192 + 128));
  // CSA indexer scores 16,512 * L/4 (plus its projection GEMMs and key pooling).
  const auto csa = LayerTokenFlops(a, 2, kMillion, Phase::kDecode);
  const double idx_gemms = 2.0 * (1536 * 64 * 128 + 7168 * 64 + 2 * 7168 * 256);
  EXPECT_DOUBLE_EQ(csa.indexer_flops, 16512.0 * (kMillion / 4) + idx_gemms + 2.0 * 8 * 128);
  // Compressor: wkv + wgate 2 * 7168 * 1024 weights; pooling 8 tokens x 512 at a block end.
  EXPECT_DOUBLE_EQ(csa.compressor_flops, 2.0 * 2 * 7168 * 1024 + 2.0 * 8 * 512);
  // Not a block end: no pooling.
  EXPECT_DOUBLE_EQ(LayerTokenFlops(a, 2, kMillion + 1, Phase::kDecode).compressor_flops,
                   2.0 * 2 * 7168 * 1024);
}

// Notes §4.6: decode at 1M is 1,165.9 G (V3.2), 304.2 G (V4-Pro), 141.0 G (V4-Flash).
TEST(Flops, WorkedExampleAtOneMillionTokens) {
  const double v32 = DecodeFlopsPerToken(Get("v3.2"), kMillion).Total();
  const double pro = DecodeFlopsPerToken(Get("v4-pro"), kMillion).Total();
  const double flash = DecodeFlopsPerToken(Get("v4-flash"), kMillion).Total();
  EXPECT_NEAR(v32 / 1e9, 1165.9, 1165.9 * 0.005);
  EXPECT_NEAR(pro / 1e9, 304.2, 304.2 * 0.005);
  EXPECT_NEAR(flash / 1e9, 141.0, 141.0 * 0.005);
  // The acceptance range and DeepSeek's published 27%.
  EXPECT_GE(pro / v32, 0.24);
  EXPECT_LE(pro / v32, 0.30);
  // Components (§4.6): V4-Pro main attention 76.7 G, indexer scores 129.9 G.
  const auto parts = DecodeFlopsPerToken(Get("v4-pro"), kMillion);
  EXPECT_NEAR(parts.attention_flops / 1e9, 76.67, 0.01);
}

TEST(Flops, ParameterMatmulsCostTwoFlopsPerActiveParameter) {
  // Every weight matmul costs 2 FLOPs per parameter; only norms, biases, sinks and APE
  // vectors (< 0.01%) are parameters without a matmul.
  for (const char* name : {"v3", "v3.2", "v4-pro", "v4-flash", "llama-3.1-8b", "v4-mini"}) {
    const auto a = Get(name);
    const auto f = DecodeFlopsPerToken(a, 1);  // one visible token: attention is minimal
    const double matmul = f.dense_gemm_flops + f.expert_gemm_flops;
    const auto p = CountParams(a);
    const double other_params = static_cast<double>(p.indexer + p.compressor + p.mhc);
    EXPECT_NEAR((matmul + 2 * other_params) / (2.0 * static_cast<double>(p.Active())), 1.0, 1e-3)
        << name;
  }
}

TEST(Flops, KeyCountSumsMatchBruteForce) {
  for (const char* name : {"tiny", "v3.2-mini", "v4-mini", "llama-mini"}) {
    const auto a = Get(name);
    for (const auto& spec : a.layers) {
      const AttentionKind layer = spec.attention;
      for (const std::int64_t n : {1, 3, 4, 127, 128, 129, 511, 2047, 2048, 2049, 5000, 9000}) {
        std::int64_t keys = 0, idx = 0;
        for (std::int64_t t = 1; t <= n; ++t) {
          keys += AttendedKeys(a, layer, t);
          idx += IndexerKeys(a, layer, t);
        }
        EXPECT_EQ(SumAttendedKeys(a, layer, n), keys) << name << " n=" << n;
        EXPECT_EQ(SumIndexerKeys(a, layer, n), idx) << name << " n=" << n;
      }
    }
  }
}

TEST(Flops, PrefillIsTheSumOfPerTokenCosts) {
  for (const char* name : {"tiny", "v3-mini", "v3.2-mini", "v4-mini", "llama-mini"}) {
    const auto a = Get(name);
    for (std::size_t layer = 0; layer < a.layers.size(); ++layer) {
      const std::int64_t n = 700;
      FlopsByClass sum;
      for (std::int64_t t = 1; t <= n; ++t) sum += LayerTokenFlops(a, layer, t, Phase::kPrefill);
      const auto closed = LayerPrefillFlops(a, layer, n);
      EXPECT_NEAR(closed.Total() / sum.Total(), 1.0, 1e-12) << name << " layer " << layer;
      EXPECT_DOUBLE_EQ(closed.indexer_flops, sum.indexer_flops) << name;
      EXPECT_DOUBLE_EQ(closed.compressor_flops, sum.compressor_flops) << name;
    }
  }
}

TEST(Flops, V32PrefillMatchesNotes) {
  // Notes §4.6: prefill of 131,072 tokens: main attention 4.5 PF, indexer 8.7 PF.
  const auto f = PrefillFlops(Get("v3.2"), 131072);
  const double gemms = 2.0 * (1536 * 64 * 128 + 7168 * 128 + 7168 * 64) * 131072 * 61;
  EXPECT_NEAR(f.attention_flops / 1e15, 4.525, 0.001);
  EXPECT_NEAR((f.indexer_flops - gemms) / 1e15, 8.652, 0.001);
}

TEST(Flops, DenseMlaPrefillUsesTheExpandedForm) {
  // Notes §4.4: V3 MHA-mode prefill 2*128*320 per query-key pair, L(L+1)/2 pairs.
  const auto a = Get("v3");
  const std::int64_t n = 4096;
  EXPECT_DOUBLE_EQ(LayerPrefillFlops(a, 5, n).attention_flops, 2.0 * 128 * 320 * n * (n + 1) / 2);
  // Decode uses the absorbed form: 278,528 per key.
  EXPECT_DOUBLE_EQ(LayerTokenFlops(a, 5, n, Phase::kDecode).attention_flops, 278528.0 * n);
}

TEST(Flops, BatchScalesLinearly) {
  const auto a = Get("v4-mini");
  EXPECT_DOUBLE_EQ(DecodeStepFlops(a, 5000, 8).Total(), 8 * DecodeFlopsPerToken(a, 5000).Total());
  EXPECT_DOUBLE_EQ(PrefillFlops(a, 300, 3).Total(), 3 * PrefillFlops(a, 300).Total());
}

TEST(Flops, GqaAttentionPerKey) {
  // Llama-3.1-8B: QK + PV = 4 * 32 heads * 128 = 16,384 FLOPs per key per layer.
  const auto a = Get("llama-3.1-8b");
  EXPECT_DOUBLE_EQ(LayerTokenFlops(a, 0, 1000, Phase::kDecode).attention_flops, 16384.0 * 1000);
}

// RequestFlops against a brute-force walk: prefill positions cached+1..prompt (absorbed, since
// they continue a cached prefix),
// decode positions prompt+1..prompt+output-1 in the decode form, an LM head per output token.
TEST(Flops, RequestFlopsIsTheSumOverItsPositions) {
  for (const char* name : {"v4-mini", "deepseek-v3", "deepseek-v3.2", "llama-3.1-8b"}) {
    const auto a = Get(name);
    const std::int64_t prompt = 700, cached = 256, output = 140;
    FlopsByClass expected = LmHeadFlops(a).Scaled(output);
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
      for (std::int64_t t = cached + 1; t <= prompt; ++t) {
        // Continuing a cached prefix: the absorbed (decode) form.
        expected += LayerTokenFlops(a, i, t, Phase::kDecode);
      }
      for (std::int64_t t = prompt + 1; t <= prompt + output - 1; ++t) {
        expected += LayerTokenFlops(a, i, t, Phase::kDecode);
      }
    }
    const FlopsByClass got = RequestFlops(a, prompt, cached, output);
    EXPECT_NEAR(got.Total(), expected.Total(), expected.Total() * 1e-12) << name;
    EXPECT_NEAR(got.attention_flops, expected.attention_flops, expected.Total() * 1e-12) << name;
    EXPECT_NEAR(got.compressor_flops, expected.compressor_flops, expected.Total() * 1e-12) << name;
  }
}

TEST(Flops, RequestWithoutOutputCostsNothingAndOneTokenIsAPrefill) {
  const auto a = Get("v4-mini");
  EXPECT_EQ(RequestFlops(a, 500, 0, 0).Total(), 0);
  EXPECT_DOUBLE_EQ(RequestFlops(a, 500, 0, 1).Total(), PrefillFlops(a, 500).Total());
  // Dense MLA from position 0 runs expanded, exactly PrefillFlops.
  const auto v3 = Get("deepseek-v3");
  EXPECT_DOUBLE_EQ(RequestFlops(v3, 900, 0, 1).Total(), PrefillFlops(v3, 900).Total());
}

TEST(DecodeTraffic, KvReadBytesOverARangeIsTheSumOfSteps) {
  for (const char* name : {"v4-mini", "deepseek-v3.2", "llama-3.1-8b"}) {
    const auto a = Get(name);
    const CacheFormat cache = DefaultCacheFormat(a);
    const WeightFormat weights = DefaultWeightFormat(a);
    double expected = 0;
    for (std::int64_t l = 300; l <= 1400; ++l) {
      expected += DecodeStepTraffic(a, l, 1, weights, cache).kv_read_bytes;
    }
    EXPECT_DOUBLE_EQ(DecodeKvReadBytes(a, 300, 1400, cache), expected) << name;
    EXPECT_EQ(DecodeKvReadBytes(a, 10, 9, cache), 0) << name;
  }
}

}  // namespace
}  // namespace infermeter::models
