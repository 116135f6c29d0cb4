// The block layout: bytes per block must be the cost model's bytes per token times the block
// size, for every preset and format; regions must be aligned and must not overlap.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "infermeter/core/error.h"
#include "infermeter/models/kv_cache.h"
#include "kv/kv_layout.h"
#include "kv_test_util.h"

namespace infermeter::engines::reference {
namespace {

using models::AttentionKind;
using models::CacheFormat;
using models::IndexerKeyFormat;
using models::KvFormat;
using testing::Arch;

bool IsV4(const models::Architecture& a) {
  return a.Uses(AttentionKind::kSwa) || a.Uses(AttentionKind::kCsa) || a.Uses(AttentionKind::kHca);
}

// Every cache format that applies to the architecture's layers.
std::vector<CacheFormat> Formats(const models::Architecture& a) {
  std::vector<KvFormat> kv = {KvFormat::kBf16, KvFormat::kFp8};
  if (IsV4(a)) kv.push_back(KvFormat::kV4Fp8);
  if (a.Uses(AttentionKind::kMla) || a.Uses(AttentionKind::kDsa)) {
    kv.push_back(KvFormat::kFlashMlaFp8);
  }
  std::vector<CacheFormat> out;
  for (const auto f : kv) {
    for (const auto i : {IndexerKeyFormat::kBf16, IndexerKeyFormat::kFp8, IndexerKeyFormat::kFp4}) {
      out.push_back({f, i});
    }
  }
  return out;
}

// [offset, offset + size) regions of one part; checks alignment and that none overlap.
void ExpectDisjointAligned(std::vector<std::pair<std::int64_t, std::int64_t>> regions,
                           std::int64_t part_bytes) {
  std::sort(regions.begin(), regions.end());
  std::int64_t end = 0;
  for (const auto& [offset, size] : regions) {
    EXPECT_EQ(offset % kKvRegionAlignment, 0);
    EXPECT_GE(offset, end);
    end = offset + size;
  }
  EXPECT_LE(end, part_bytes);
  EXPECT_EQ(part_bytes % kKvRegionAlignment, 0);
}

class PresetLayout : public ::testing::TestWithParam<const char*> {};

TEST_P(PresetLayout, BlockBytesMatchTheCostModelPerToken) {
  const auto arch = Arch(GetParam());
  for (const auto& format : Formats(arch)) {
    SCOPED_TRACE(
        fmt::format("{} {}", models::ToString(format.kv), models::ToString(format.indexer_keys)));
    const std::int64_t B = IsV4(arch) ? 256 : 64;
    const KvLayout layout = MakeKvLayout(arch, format, B);
    ASSERT_EQ(layout.layers.size(), arch.layers.size());
    EXPECT_EQ(layout.block_tokens, B);
    EXPECT_EQ(layout.has_window(), IsV4(arch));

    // Entries of one full block, by the layout, against the cost model's slope x B.
    std::int64_t persistent_entry_bytes = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> persistent, window, state;
    for (std::size_t i = 0; i < layout.layers.size(); ++i) {
      const auto& l = layout.layers[i];
      const AttentionKind kind = arch.layers[i].attention;
      EXPECT_EQ(l.kind, kind);
      std::int64_t layer_bytes = B * l.token_entry_bytes;
      if (l.tokens_per_compressed > 0) {
        layer_bytes += B / l.tokens_per_compressed * l.compressed_entry_bytes;
      }
      if (l.tokens_per_indexer_key > 0) {
        layer_bytes += B / l.tokens_per_indexer_key * l.indexer_key_bytes;
      }
      EXPECT_DOUBLE_EQ(static_cast<double>(layer_bytes),
                       static_cast<double>(B) * models::LayerKvBytesPerToken(arch, kind, format));
      persistent_entry_bytes += layer_bytes;
      // Per-sequence bytes at one block's length, window included, against the cost model.
      const auto model = models::LayerKvBytes(arch, kind, B, format);
      const std::int64_t window_entries = std::min(B, layout.window_tokens);
      EXPECT_EQ(layer_bytes -
                    B / std::max<std::int64_t>(1, l.tokens_per_indexer_key) * l.indexer_key_bytes +
                    window_entries * l.window_entry_bytes,
                model.main_bytes);
      EXPECT_EQ(B / std::max<std::int64_t>(1, l.tokens_per_indexer_key) * l.indexer_key_bytes,
                model.indexer_bytes);

      if (l.token_entry_bytes > 0)
        persistent.emplace_back(l.tokens_offset, B * l.token_entry_bytes);
      if (l.tokens_per_compressed > 0) {
        persistent.emplace_back(l.compressed_offset,
                                B / l.tokens_per_compressed * l.compressed_entry_bytes);
      }
      if (l.tokens_per_indexer_key > 0) {
        persistent.emplace_back(l.indexer_offset,
                                B / l.tokens_per_indexer_key * l.indexer_key_bytes);
      }
      if (l.window_entry_bytes > 0) window.emplace_back(l.window_offset, B * l.window_entry_bytes);
      if (l.carry_snapshot_bytes > 0) window.emplace_back(l.carry_offset, l.carry_snapshot_bytes);
      if (l.compressor_state_bytes > 0) {
        state.emplace_back(l.state_offset, l.compressor_state_bytes);
      }

      // Compressor state sizes (kv_layout.h documents the float layout).
      const std::int64_t hd = arch.v4.head_dim;
      const std::int64_t ihd = arch.indexer.head_dim;
      switch (kind) {
        case AttentionKind::kCsa:
          EXPECT_EQ(l.compressor_state_bytes, 4 * (6 * hd + 6 * ihd));
          EXPECT_EQ(l.carry_snapshot_bytes, 4 * (3 * hd + 3 * ihd));
          EXPECT_EQ(CsaNextIndexFloat(l) + 3 * ihd, l.compressor_state_bytes / 4);
          break;
        case AttentionKind::kHca:
          EXPECT_EQ(l.compressor_state_bytes, 4 * 3 * hd);
          EXPECT_EQ(l.carry_snapshot_bytes, 0);
          break;
        default:
          EXPECT_EQ(l.compressor_state_bytes, 0);
          EXPECT_EQ(l.carry_snapshot_bytes, 0);
      }
    }
    EXPECT_DOUBLE_EQ(static_cast<double>(persistent_entry_bytes),
                     static_cast<double>(B) * models::KvBytesPerToken(arch, format));
    ExpectDisjointAligned(persistent, layout.persistent_block_bytes);
    ExpectDisjointAligned(window, layout.window_block_bytes);
    ExpectDisjointAligned(state, layout.sequence_state_bytes);

    // The per-kind split of the parts adds up to the parts.
    std::int64_t persistent_sum = 0;
    std::int64_t window_sum = 0;
    for (int k = 0; k < kKvKindCount; ++k) {
      persistent_sum += layout.persistent_bytes_by_kind[k];
      window_sum += layout.window_bytes_by_kind[k];
    }
    EXPECT_EQ(persistent_sum, layout.persistent_block_bytes);
    EXPECT_EQ(window_sum, layout.window_block_bytes);
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, PresetLayout,
                         ::testing::Values("tiny", "v4-mini", "v3-mini", "v3.2-mini", "llama-mini",
                                           "v4-flash", "v3.2"));

TEST(KvLayout, BlockMustBeAMultipleOfEveryRatioAndHoldTheWindow) {
  const auto tiny = Arch("tiny");  // window 128, CSA 4, HCA 128
  const CacheFormat format = models::DefaultCacheFormat(tiny);
  EXPECT_NO_THROW(MakeKvLayout(tiny, format, 128));
  EXPECT_NO_THROW(MakeKvLayout(tiny, format, 384));
  try {
    MakeKvLayout(tiny, format, 192);  // a multiple of 4, not of 128
    ADD_FAILURE() << "192 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("block_tokens 192"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ratio 128"), std::string::npos) << e.what();
  }
  EXPECT_THROW(MakeKvLayout(tiny, format, 64), Error);  // smaller than the window
  EXPECT_THROW(MakeKvLayout(tiny, format, 0), Error);
  // Models without compression or window take any positive block size.
  const auto llama = Arch("llama-mini");
  EXPECT_EQ(MakeKvLayout(llama, models::DefaultCacheFormat(llama), 16).block_tokens, 16);
}

TEST(KvLayout, KindNames) {
  EXPECT_EQ(ToString(KvKind::kTokens), "tokens");
  EXPECT_EQ(ToString(KvKind::kCompressed), "compressed");
  EXPECT_EQ(ToString(KvKind::kIndexerKeys), "indexer_keys");
  EXPECT_EQ(ToString(KvKind::kWindow), "window");
  EXPECT_EQ(ToString(KvKind::kCompressorState), "compressor_state");
}

}  // namespace
}  // namespace infermeter::engines::reference
