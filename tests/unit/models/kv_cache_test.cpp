// KV-cache byte layouts and totals. Expected values from the research notes
// (deepseek-cost-model.md §1.2, §2.2, §3.4, §4.5, §4.6), recomputed by hand.

#include <gtest/gtest.h>

#include "infermeter/core/error.h"
#include "infermeter/models/builtin.h"
#include "infermeter/models/decode_traffic.h"
#include "infermeter/models/kv_cache.h"

namespace infermeter::models {
namespace {

constexpr std::int64_t kMillion = 1048576;

Architecture Get(const char* name) { return FindBuiltin(name).value(); }

TEST(KvCache, EntryLayouts) {
  const auto v3 = Get("v3");
  EXPECT_EQ(KvEntryBytes(v3, AttentionKind::kMla, KvFormat::kBf16), 1152);  // 576 x 2
  EXPECT_EQ(KvEntryBytes(v3, AttentionKind::kMla, KvFormat::kFp8), 576);
  // 512 FP8 + 4 fp32 scales + 64 BF16 rope.
  EXPECT_EQ(KvEntryBytes(v3, AttentionKind::kMla, KvFormat::kFlashMlaFp8), 656);
  const auto pro = Get("v4-pro");
  // 448 FP8 + 64 BF16 rope + 7 ue8m0 scales + 1 pad.
  EXPECT_EQ(KvEntryBytes(pro, AttentionKind::kCsa, KvFormat::kV4Fp8), 584);
  EXPECT_EQ(KvEntryBytes(pro, AttentionKind::kHca, KvFormat::kBf16), 1024);
  EXPECT_EQ(IndexerKeyBytes(pro, IndexerKeyFormat::kFp8), 132);
  EXPECT_EQ(IndexerKeyBytes(pro, IndexerKeyFormat::kFp4), 68);
  EXPECT_EQ(IndexerKeyBytes(pro, IndexerKeyFormat::kBf16), 256);
  // Llama-3.1-8B BF16: K and V, 8 heads x 128 x 2 bytes = 4096 B per layer.
  EXPECT_EQ(KvEntryBytes(Get("llama-3.1-8b"), AttentionKind::kGqa, KvFormat::kBf16), 4096);
}

TEST(KvCache, FormatsThatDoNotApplyAreErrors) {
  EXPECT_THROW(KvEntryBytes(Get("v4-pro"), AttentionKind::kCsa, KvFormat::kFlashMlaFp8), Error);
  EXPECT_THROW(KvEntryBytes(Get("v3"), AttentionKind::kMla, KvFormat::kV4Fp8), Error);
  EXPECT_THROW(KvEntryBytes(Get("llama-3.1-8b"), AttentionKind::kGqa, KvFormat::kV4Fp8), Error);
}

TEST(KvCache, PerTokenSlopes) {
  // V3 BF16 70,272 B/token (DeepSeek's own figure); V3.2 61 x (656 + 132) = 48,068.
  EXPECT_DOUBLE_EQ(KvBytesPerToken(Get("v3"), {KvFormat::kBf16}), 70272);
  EXPECT_DOUBLE_EQ(KvBytesPerToken(Get("v3.2"), DefaultCacheFormat(Get("v3.2"))), 48068);
  // V4-Pro: 30 x (584 + idx) / 4 + 31 x 584 / 128 = 5,511.44 (idx 132) or 5,031.44 (idx 68).
  const auto pro = Get("v4-pro");
  EXPECT_DOUBLE_EQ(KvBytesPerToken(pro, {KvFormat::kV4Fp8, IndexerKeyFormat::kFp8}), 5511.4375);
  EXPECT_DOUBLE_EQ(KvBytesPerToken(pro, {KvFormat::kV4Fp8, IndexerKeyFormat::kFp4}), 5031.4375);
  // A sliding-window-only layer adds nothing per token.
  EXPECT_EQ(LayerKvBytesPerToken(Get("v4-flash"), AttentionKind::kSwa, {KvFormat::kV4Fp8}), 0);
}

TEST(KvCache, PerSequenceAtOneMillion) {
  const auto v32 = Get("v3.2");
  const auto pro = Get("v4-pro");
  const auto flash = Get("v4-flash");
  // Notes §4.6: 50.40 GB; V4-Pro 5.78 / 5.28 GB; V4-Flash 4.04 / 3.69 GB.
  const auto base = SequenceKvBytes(v32, kMillion, DefaultCacheFormat(v32)).Total();
  EXPECT_EQ(base, 61LL * (656 + 132) * kMillion);
  const CacheFormat fp8_idx{KvFormat::kV4Fp8, IndexerKeyFormat::kFp8};
  const CacheFormat fp4_idx{KvFormat::kV4Fp8, IndexerKeyFormat::kFp4};
  // 30 x 262,144 x (584 + 132) + 31 x 8,192 x 584 + 61 x 128 x 584 = 5,783,720,960.
  EXPECT_EQ(SequenceKvBytes(pro, kMillion, fp8_idx).Total(), 5783720960LL);
  EXPECT_EQ(SequenceKvBytes(pro, kMillion, fp4_idx).Total(), 5280404480LL);
  EXPECT_NEAR(SequenceKvBytes(flash, kMillion, fp4_idx).Total() / 1e9, 3.69, 0.005);
  // The acceptance range (9-12%) holds for both indexer formats.
  for (const auto& format : {fp8_idx, fp4_idx}) {
    const double ratio = static_cast<double>(SequenceKvBytes(pro, kMillion, format).Total()) / base;
    EXPECT_GE(ratio, 0.09);
    EXPECT_LE(ratio, 0.12);
  }
  // The sliding window is bounded: a short sequence holds every token in the ring.
  EXPECT_EQ(CachedEntries(pro, AttentionKind::kSwa, 100), 100);
  EXPECT_EQ(CachedEntries(pro, AttentionKind::kHca, 1000), 128 + 7);
  EXPECT_EQ(CachedEntries(pro, AttentionKind::kCsa, 1000), 128 + 250);
  EXPECT_EQ(CachedIndexerKeys(pro, AttentionKind::kCsa, 1000), 250);
}

TEST(DecodeTraffic, KvReadAndWeights) {
  const auto v32 = Get("v3.2");
  const auto bf16 = FindWeightFormat("bf16").value();
  // Notes §4.6: V3.2 reads 8.53 GB per decode step at 1M: 61 x (2048 x 656 + L x 132).
  const auto t = DecodeStepTraffic(v32, kMillion, 1, bf16, DefaultCacheFormat(v32));
  EXPECT_DOUBLE_EQ(t.kv_read_bytes, 61.0 * (2048 * 656 + kMillion * 132.0));
  // One sequence reads every active weight once (+ its embedding row).
  const auto mini = Get("llama-mini");
  const auto one = DecodeStepTraffic(mini, 10, 1, bf16, DefaultCacheFormat(mini));
  EXPECT_GT(one.weight_bytes, 0);
  // A batch shares the dense weights: per-token bytes fall.
  const auto many = DecodeStepTraffic(Get("v4-mini"), 10, 32, bf16, {KvFormat::kV4Fp8});
  const auto single = DecodeStepTraffic(Get("v4-mini"), 10, 1, bf16, {KvFormat::kV4Fp8});
  EXPECT_LT(many.weight_bytes_per_token, single.weight_bytes_per_token);
  EXPECT_DOUBLE_EQ(ExpectedDistinctExperts(256, 8, 1), 8.0);
  EXPECT_NEAR(ExpectedDistinctExperts(256, 8, 10000), 256.0, 1e-6);
}

}  // namespace
}  // namespace infermeter::models
