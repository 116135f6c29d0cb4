// The paged cache without prefix reuse: byte accounting against the cost model, the budget,
// all-or-nothing reservations, entry addresses, window-part release and peaks.

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "infermeter/models/kv_cache.h"
#include "kv/kv_cache.h"
#include "kv_test_util.h"

namespace infermeter::engines::reference {
namespace {

using testing::Arch;
using testing::DefaultLayout;
using testing::ExpectConsistent;
using testing::Prefill;
using testing::Prompt;

constexpr std::int64_t kMiB = 1 << 20;

std::int64_t Used(const KvCacheStats& s, KvKind kind) {
  return s.by_kind[static_cast<int>(kind)].used_bytes;
}
std::int64_t Allocated(const KvCacheStats& s, KvKind kind) {
  return s.by_kind[static_cast<int>(kind)].allocated_bytes;
}

class PresetCache : public ::testing::TestWithParam<const char*> {};

// After every chunk the live bytes per kind are exactly what the cost model says a sequence
// of that length holds.
TEST_P(PresetCache, UsedBytesMatchTheCostModelAtEveryLength) {
  const auto arch = Arch(GetParam());
  const auto format = models::DefaultCacheFormat(arch);
  KvCache cache(MakeKvLayout(arch, format), 256 * kMiB, /*prefix_caching=*/true);
  const auto tokens = Prompt(1100);
  SequenceKv seq;
  ASSERT_TRUE(cache.Admit(seq, tokens));
  for (const std::int64_t end : {1, 3, 4, 5, 127, 128, 129, 255, 256, 257, 300, 640, 1000, 1100}) {
    ASSERT_TRUE(cache.Reserve(seq, end));
    cache.Commit(seq, tokens, end);
    SCOPED_TRACE(fmt::format("{} tokens", end));
    const KvCacheStats s = cache.Stats();
    const models::KvBytes model = models::SequenceKvBytes(arch, end, format);
    EXPECT_EQ(Used(s, KvKind::kTokens) + Used(s, KvKind::kCompressed) + Used(s, KvKind::kWindow),
              model.main_bytes);
    EXPECT_EQ(Used(s, KvKind::kIndexerKeys), model.indexer_bytes);
    ExpectConsistent(cache);
  }
  cache.Release(seq);
  EXPECT_EQ(seq.blocks.size(), 0u);
  EXPECT_EQ(seq.state_buffer, -1);
  ExpectConsistent(cache);
}

INSTANTIATE_TEST_SUITE_P(Presets, PresetCache,
                         ::testing::Values("tiny", "v4-mini", "v3-mini", "v3.2-mini",
                                           "llama-mini"));

TEST(KvCache, CompressorStateCountsStateBuffersAndCarrySnapshots) {
  const auto layout = DefaultLayout("tiny");  // swa, csa, hca, csa
  std::int64_t state = 0;
  std::int64_t carry = 0;
  for (const auto& l : layout.layers) {
    state += l.compressor_state_bytes;
    carry += l.carry_snapshot_bytes;
  }
  KvCache cache(layout, 64 * kMiB, true);
  const auto tokens = Prompt(300);
  SequenceKv seq;
  ASSERT_TRUE(cache.Admit(seq, tokens));
  EXPECT_EQ(Used(cache.Stats(), KvKind::kCompressorState), state);
  ASSERT_TRUE(Prefill(cache, seq, tokens, 50));
  // Two full blocks; block 0's window part was released (nobody at 300 can see it).
  EXPECT_EQ(Used(cache.Stats(), KvKind::kCompressorState), state + carry);
  cache.Release(seq);
  // Block 1 stays cached as a resume point with its carry.
  EXPECT_EQ(Used(cache.Stats(), KvKind::kCompressorState), carry);
}

TEST(KvCache, WindowPartsNobodyCanSeeAreReleased) {
  const auto layout = DefaultLayout("v4-mini");
  KvCache cache(layout, 256 * kMiB, false);
  const auto tokens = Prompt(2000);
  SequenceKv seq;
  ASSERT_TRUE(cache.Admit(seq, tokens));
  for (std::int64_t end = 1; end <= 2000; end += 1 + end / 7) {
    ASSERT_TRUE(cache.Reserve(seq, end));
    cache.Commit(seq, tokens, end);
    // The last full block and the block being written keep their window parts, and the one
    // before only while a future position can still see into it.
    const std::int64_t parts = Allocated(cache.Stats(), KvKind::kWindow) /
                               layout.window_bytes_by_kind[static_cast<int>(KvKind::kWindow)];
    EXPECT_LE(parts, 3) << end;
    EXPECT_GE(parts, 1) << end;
  }
}

TEST(KvCache, ReserveIsAllOrNothingAndTheBudgetHolds) {
  const auto layout = DefaultLayout("llama-mini", 16);
  const std::int64_t block = layout.persistent_block_bytes;
  KvCache cache(layout, 4 * block, false);
  const auto tokens = Prompt(100);
  SequenceKv seq;
  ASSERT_TRUE(cache.Admit(seq, tokens));
  ASSERT_TRUE(cache.Reserve(seq, 40));  // 3 blocks
  EXPECT_EQ(seq.blocks.size(), 3u);
  EXPECT_EQ(cache.ReservableTokens(seq), 64);
  EXPECT_EQ(cache.BytesToReserve(seq, 80), 2 * block);
  const KvCacheStats before = cache.Stats();
  EXPECT_FALSE(cache.Reserve(seq, 80));  // needs 5 blocks
  EXPECT_EQ(seq.tokens, 40);
  EXPECT_EQ(seq.blocks.size(), 3u);
  EXPECT_EQ(cache.Stats().allocated_bytes, before.allocated_bytes);
  ASSERT_TRUE(cache.Reserve(seq, 64));
  EXPECT_EQ(cache.Stats().allocated_bytes, cache.Stats().capacity_bytes);
  // A second sequence cannot even be admitted now.
  SequenceKv other;
  EXPECT_FALSE(cache.Admit(other, tokens));
  EXPECT_TRUE(other.blocks.empty());
  cache.Release(seq);
  EXPECT_EQ(cache.Stats().allocated_bytes, 0);
  EXPECT_TRUE(cache.Admit(other, tokens));
}

TEST(KvCache, TooSmallABudgetIsAnError) {
  const auto layout = DefaultLayout("tiny");
  const std::int64_t least =
      layout.persistent_block_bytes + layout.window_block_bytes + layout.sequence_state_bytes;
  EXPECT_THROW(KvCache(layout, least - 1, true), Error);
  EXPECT_NO_THROW(KvCache(layout, least, true));
  EXPECT_EQ(KvCache(layout, least, true).BytesForSequence(1), least);
}

// Every entry of every kind gets its own bytes: a pattern written through each address reads
// back intact after all of them were written.
TEST(KvCache, EntryAddressesDoNotOverlap) {
  for (const char* name : {"tiny", "v3.2-mini"}) {
    SCOPED_TRACE(name);
    const auto layout = DefaultLayout(name);
    KvCache cache(layout, 64 * kMiB, false);
    const std::int64_t L = 300;
    const auto tokens = Prompt(L);
    SequenceKv seq;
    ASSERT_TRUE(cache.Admit(seq, tokens));
    ASSERT_TRUE(cache.Reserve(seq, L));
    struct Entry {
      std::uint8_t* at;
      std::int64_t bytes;
    };
    std::vector<Entry> entries;
    for (std::size_t i = 0; i < layout.layers.size(); ++i) {
      const auto& l = layout.layers[i];
      for (std::int64_t p = 0; p < L; ++p) {
        if (l.token_entry_bytes > 0)
          entries.push_back({cache.TokenEntry(seq, i, p), l.token_entry_bytes});
        if (l.window_entry_bytes > 0) {
          entries.push_back({cache.WindowEntry(seq, i, p), l.window_entry_bytes});
        }
      }
      if (l.tokens_per_compressed > 0) {
        for (std::int64_t e = 0; e < L / l.tokens_per_compressed; ++e) {
          entries.push_back({cache.CompressedEntry(seq, i, e), l.compressed_entry_bytes});
        }
      }
      if (l.tokens_per_indexer_key > 0) {
        for (std::int64_t e = 0; e < L / l.tokens_per_indexer_key; ++e) {
          entries.push_back({cache.IndexerKey(seq, i, e), l.indexer_key_bytes});
        }
      }
      if (l.carry_snapshot_bytes > 0) {
        for (const std::int64_t end : {128, 256}) {
          entries.push_back({cache.CarrySnapshot(seq, i, end), l.carry_snapshot_bytes});
        }
      }
      if (l.compressor_state_bytes > 0) {
        entries.push_back({cache.CompressorState(seq, i), l.compressor_state_bytes});
      }
    }
    for (std::size_t e = 0; e < entries.size(); ++e) {
      std::memset(entries[e].at, static_cast<int>(e * 131 % 251),
                  static_cast<std::size_t>(entries[e].bytes));
    }
    std::size_t bad = 0;
    for (std::size_t e = 0; e < entries.size(); ++e) {
      for (std::int64_t b = 0; b < entries[e].bytes; ++b) {
        if (entries[e].at[b] != static_cast<std::uint8_t>(e * 131 % 251)) {
          ++bad;
          break;
        }
      }
    }
    EXPECT_EQ(bad, 0u);
    cache.Release(seq);
  }
}

TEST(KvCache, PeakRemembersTheHighestUse) {
  const auto layout = DefaultLayout("v3-mini", 16);
  KvCache cache(layout, 64 * kMiB, false);
  const auto tokens = Prompt(200);
  SequenceKv seq;
  ASSERT_TRUE(cache.Admit(seq, tokens));
  ASSERT_TRUE(Prefill(cache, seq, tokens, 64));
  const KvCacheStats full = cache.Stats();
  EXPECT_EQ(full.used_bytes, models::SequenceKvBytes(Arch("v3-mini"), 200, layout.format).Total());
  cache.Release(seq);
  const KvCacheStats after = cache.Stats();
  EXPECT_EQ(after.used_bytes, 0);
  EXPECT_EQ(after.allocated_bytes, 0);
  EXPECT_EQ(after.peak_used_bytes, full.used_bytes);
  EXPECT_EQ(after.by_kind[static_cast<int>(KvKind::kTokens)].peak_used_bytes,
            full.by_kind[static_cast<int>(KvKind::kTokens)].used_bytes);
}

TEST(KvCache, EngineStatsNameTheKindsTheModelUses) {
  const auto kinds = [](const char* name) {
    KvCache cache(DefaultLayout(name), 64 * kMiB, true);
    const auto tokens = Prompt(300);
    SequenceKv seq;
    EXPECT_TRUE(cache.Admit(seq, tokens));
    EXPECT_TRUE(Prefill(cache, seq, tokens, 300));
    EngineStats stats;
    cache.FillEngineStats(stats);
    std::vector<std::string> names;
    std::int64_t used = 0;
    for (const auto& k : stats.kv_by_kind) {
      names.push_back(k.kind);
      used += k.used_bytes;
    }
    EXPECT_EQ(used, stats.kv_used_bytes);
    EXPECT_EQ(stats.kv_capacity_bytes, 64 * kMiB);
    EXPECT_EQ(stats.prefix_cache_queried_tokens, 300);
    cache.Release(seq);
    return names;
  };
  EXPECT_EQ(kinds("tiny"),
            (std::vector<std::string>{"compressed", "indexer_keys", "window", "compressor_state"}));
  EXPECT_EQ(kinds("v3.2-mini"), (std::vector<std::string>{"tokens", "indexer_keys"}));
  EXPECT_EQ(kinds("llama-mini"), (std::vector<std::string>{"tokens"}));
}

// Random admissions, growth and releases under a tight budget, prefix caching on: the budget
// is never exceeded and the accounting stays consistent; releasing everything leaves only
// cached blocks, which account for all that is still allocated.
TEST(KvCache, RandomWorkloadKeepsTheInvariants) {
  for (const char* name : {"tiny", "v3.2-mini"}) {
    SCOPED_TRACE(name);
    const auto layout = DefaultLayout(name);
    const std::int64_t budget = 12 * (layout.persistent_block_bytes + layout.window_block_bytes) +
                                3 * layout.sequence_state_bytes;
    KvCache cache(layout, budget, true);
    std::mt19937_64 rng(7);
    struct Live {
      SequenceKv kv;
      std::vector<TokenId> tokens;
    };
    std::vector<Live> live;
    for (int step = 0; step < 3000; ++step) {
      const auto action = rng() % 10;
      if (action < 3 && live.size() < 4) {
        // Prompts share prefixes: a few bases, cut at random lengths.
        Live l;
        l.tokens = Prompt(static_cast<std::int64_t>(1 + rng() % 700),
                          static_cast<std::int32_t>(rng() % 3));
        if (cache.Admit(l.kv, l.tokens)) live.push_back(std::move(l));
      } else if (action < 9 && !live.empty()) {
        Live& l = live[rng() % live.size()];
        const std::int64_t end = std::min<std::int64_t>(
            static_cast<std::int64_t>(l.tokens.size()) + 5,
            l.kv.written_tokens + 1 + static_cast<std::int64_t>(rng() % 200));
        while (static_cast<std::int64_t>(l.tokens.size()) < end) l.tokens.push_back(5);
        if (cache.Reserve(l.kv, end)) cache.Commit(l.kv, l.tokens, end);
      } else if (!live.empty()) {
        const std::size_t i = rng() % live.size();
        cache.Release(live[i].kv);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
      }
      ExpectConsistent(cache);
      if (::testing::Test::HasFailure()) return;
    }
    for (auto& l : live) cache.Release(l.kv);
    const KvCacheStats s = cache.Stats();
    EXPECT_GT(s.evicted_blocks, 0);
    EXPECT_GT(s.hit_tokens, 0);
    // Nothing runs: what is still allocated is the cached blocks, some with window parts.
    const std::int64_t window_bytes =
        s.allocated_bytes - s.cached_blocks * layout.persistent_block_bytes;
    EXPECT_GE(window_bytes, 0);
    if (layout.has_window()) {
      EXPECT_EQ(window_bytes % layout.window_block_bytes, 0);
      EXPECT_LE(window_bytes, s.cached_blocks * layout.window_block_bytes);
    } else {
      EXPECT_EQ(window_bytes, 0);
    }
    ExpectConsistent(cache);
  }
}

}  // namespace
}  // namespace infermeter::engines::reference
