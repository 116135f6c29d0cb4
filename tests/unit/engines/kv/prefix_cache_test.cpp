// Prefix caching: hits after release, partial matches, the V4 window-part rule and the carry
// snapshot, LRU eviction order, and blocks shared between running sequences.

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "infermeter/models/kv_cache.h"
#include "kv/kv_cache.h"
#include "kv_test_util.h"

namespace infermeter::engines::reference {
namespace {

using testing::DefaultLayout;
using testing::ExpectConsistent;
using testing::Prefill;
using testing::Prompt;

constexpr std::int64_t kMiB = 1 << 20;

// Runs `tokens` through a fresh sequence and releases it; returns the positions it reused.
std::int64_t RunAndRelease(KvCache& cache, const std::vector<TokenId>& tokens) {
  SequenceKv seq;
  EXPECT_TRUE(cache.Admit(seq, tokens));
  const std::int64_t hit = seq.cached_tokens;
  EXPECT_TRUE(Prefill(cache, seq, tokens, 48));
  cache.Release(seq);
  return hit;
}

std::int64_t HitFor(KvCache& cache, const std::vector<TokenId>& tokens) {
  SequenceKv seq;
  EXPECT_TRUE(cache.Admit(seq, tokens));
  const std::int64_t hit = seq.cached_tokens;
  EXPECT_EQ(seq.tokens, hit);
  EXPECT_EQ(seq.written_tokens, hit);
  EXPECT_EQ(static_cast<std::int64_t>(seq.blocks.size()) * cache.layout().block_tokens, hit);
  cache.Release(seq);
  return hit;
}

TEST(PrefixCache, SamePromptReusesAllFullBlocksButTheLastToken) {
  KvCache cache(DefaultLayout("v3-mini", 16), 64 * kMiB, true);
  const auto prompt = Prompt(100);
  EXPECT_EQ(RunAndRelease(cache, prompt), 0);
  EXPECT_EQ(HitFor(cache, prompt), 96);  // floor(99 / 16) * 16
  // A prompt that ends on a block boundary still leaves one token to compute.
  const std::vector<TokenId> aligned(prompt.begin(), prompt.begin() + 96);
  EXPECT_EQ(HitFor(cache, aligned), 80);
  // A different token in block 3 keeps blocks 0..2 only.
  auto changed = prompt;
  changed[50] += 1;
  EXPECT_EQ(HitFor(cache, changed), 48);
  // A different first token shares nothing, even with every later token equal.
  auto first = prompt;
  first[0] += 1;
  EXPECT_EQ(HitFor(cache, first), 0);
  const KvCacheStats s = cache.Stats();
  EXPECT_EQ(s.queried_tokens, 100 + 100 + 96 + 100 + 100);
  EXPECT_EQ(s.hit_tokens, 96 + 80 + 48);
}

TEST(PrefixCache, NoReuseWhenDisabled) {
  KvCache cache(DefaultLayout("v3-mini", 16), 64 * kMiB, false);
  const auto prompt = Prompt(100);
  RunAndRelease(cache, prompt);
  EXPECT_EQ(HitFor(cache, prompt), 0);
  EXPECT_EQ(cache.Stats().allocated_bytes, 0);
}

// V4: a hit must end on a block that still has its window part; only the last full block of
// a released sequence keeps one.
TEST(PrefixCache, V4HitsEndWhereAWindowPartWasKept) {
  const auto layout = DefaultLayout("tiny");
  KvCache cache(layout, 64 * kMiB, true);
  const auto prompt = Prompt(600);  // blocks 0..3 full, block 4 partial
  SequenceKv seq;
  ASSERT_TRUE(cache.Admit(seq, prompt));
  ASSERT_TRUE(Prefill(cache, seq, prompt, 100));
  // The model writes each csa layer's carry at every block end it crosses; mark block 3's.
  std::vector<std::size_t> csa;
  for (std::size_t i = 0; i < layout.layers.size(); ++i) {
    if (layout.layers[i].carry_snapshot_bytes > 0) csa.push_back(i);
  }
  ASSERT_FALSE(csa.empty());
  for (const std::size_t i : csa) {
    auto* carry = reinterpret_cast<float*>(cache.CarrySnapshot(seq, i, 512));
    const std::int64_t floats = layout.layers[i].carry_snapshot_bytes / 4;
    for (std::int64_t f = 0; f < floats; ++f) carry[f] = static_cast<float>(f + 1000 * i);
  }
  cache.Release(seq);

  // Same prompt: 4 blocks reusable, block 3 kept its window part.
  SequenceKv again;
  ASSERT_TRUE(cache.Admit(again, prompt));
  EXPECT_EQ(again.cached_tokens, 512);
  for (const std::size_t i : csa) {
    const auto& l = layout.layers[i];
    const auto* state = reinterpret_cast<const float*>(cache.CompressorState(again, i));
    // current_main and current_index are zero; next_main and next_index hold the carry.
    for (std::int64_t f = 0; f < 3 * l.head_dim; ++f) {
      ASSERT_EQ(state[f], 0.0f);
      ASSERT_EQ(state[CsaNextMainFloat(l) + f], static_cast<float>(f + 1000 * i));
    }
    for (std::int64_t f = 0; f < 3 * l.indexer_head_dim; ++f) {
      ASSERT_EQ(state[CsaCurrentIndexFloat(l) + f], 0.0f);
      ASSERT_EQ(state[CsaNextIndexFloat(l) + f], static_cast<float>(3 * l.head_dim + f + 1000 * i));
    }
  }
  cache.Release(again);

  // Cached, the resume point's window entries count as the window at its end; the other
  // cached blocks count their persistent entries only.
  {
    const KvCacheStats s = cache.Stats();
    std::int64_t window_entry = 0;
    for (const auto& l : layout.layers) window_entry += l.window_entry_bytes;
    EXPECT_EQ(s.by_kind[static_cast<int>(KvKind::kWindow)].used_bytes,
              layout.window_tokens * window_entry);
    EXPECT_EQ(s.by_kind[static_cast<int>(KvKind::kWindow)].allocated_bytes,
              layout.window_bytes_by_kind[static_cast<int>(KvKind::kWindow)]);
    EXPECT_EQ(s.cached_blocks, 4);
  }

  // A prompt sharing 3 full blocks: blocks 0..2 are cached but lost their window parts.
  auto shorter = std::vector<TokenId>(prompt.begin(), prompt.begin() + 400);
  EXPECT_EQ(HitFor(cache, shorter), 0);
  ExpectConsistent(cache);
}

// Unreferenced blocks are evicted least recently released first, and within one sequence
// the last block first.
TEST(PrefixCache, EvictsLeastRecentlyUsedLeavesFirst) {
  const auto layout = DefaultLayout("v3-mini", 16);
  KvCache cache(layout, 5 * layout.persistent_block_bytes, true);
  const auto a = Prompt(33, 1);  // 2 full blocks + 1 partial
  const auto b = Prompt(33, 2);
  RunAndRelease(cache, a);
  RunAndRelease(cache, b);
  EXPECT_EQ(cache.Stats().cached_blocks, 4);
  // Two blocks for a third prompt: one free, one evicted (a's second block).
  const auto c = Prompt(17, 3);
  SequenceKv seq;
  ASSERT_TRUE(cache.Admit(seq, c));
  ASSERT_TRUE(Prefill(cache, seq, c, 17));
  EXPECT_EQ(cache.Stats().evicted_blocks, 1);
  cache.Release(seq);
  EXPECT_EQ(HitFor(cache, a), 16);  // a's first block survived
  EXPECT_EQ(HitFor(cache, b), 32);
  ExpectConsistent(cache);
}

// Admission must not count on evicting the very blocks it matched.
TEST(PrefixCache, AdmitFailsWhenOnlyTheMatchedBlocksCouldBeEvicted) {
  const auto layout = DefaultLayout("v3-mini", 16);
  KvCache cache(layout, 2 * layout.persistent_block_bytes, true);
  const auto prompt = Prompt(33);
  const std::vector<TokenId> first32(prompt.begin(), prompt.begin() + 32);
  RunAndRelease(cache, first32);
  EXPECT_EQ(cache.Stats().cached_blocks, 2);
  SequenceKv seq;
  EXPECT_FALSE(cache.Admit(seq, prompt));  // matches both blocks, then no room for block 2
  EXPECT_TRUE(seq.blocks.empty());
  EXPECT_EQ(seq.tokens, 0);
  EXPECT_EQ(cache.Stats().cached_blocks, 2);
  EXPECT_EQ(cache.Stats().queried_tokens, 32);  // a failed admission is not counted
  // 32 tokens match one block only; the other is evicted to make room.
  ASSERT_TRUE(cache.Admit(seq, first32));
  EXPECT_EQ(seq.cached_tokens, 16);
  EXPECT_TRUE(cache.Reserve(seq, 32));
  EXPECT_EQ(cache.Stats().evicted_blocks, 1);
  cache.Release(seq);
  ExpectConsistent(cache);
}

TEST(PrefixCache, SharedBlocksSurviveOneOwnersRelease) {
  const auto layout = DefaultLayout("v3-mini", 16);
  KvCache cache(layout, 6 * layout.persistent_block_bytes, true);
  const auto prompt = Prompt(40);
  SequenceKv first;
  ASSERT_TRUE(cache.Admit(first, prompt));
  ASSERT_TRUE(cache.Reserve(first, 40));
  std::memset(cache.TokenEntry(first, 0, 5), 0x5A,
              static_cast<std::size_t>(layout.layers[0].token_entry_bytes));
  cache.Commit(first, prompt, 40);

  // A second sequence with the same prompt while the first still runs: blocks 0 and 1 shared.
  SequenceKv second;
  ASSERT_TRUE(cache.Admit(second, prompt));
  EXPECT_EQ(second.cached_tokens, 32);
  EXPECT_EQ(second.blocks[0], first.blocks[0]);
  const std::int64_t shared_used = cache.Stats().used_bytes;
  // 40 positions physically (32 shared + 8 of first's partial block), counted once.
  EXPECT_EQ(shared_used,
            models::SequenceKvBytes(testing::Arch("v3-mini"), 40, layout.format).Total());
  cache.Release(first);
  EXPECT_EQ(cache.Stats().cached_blocks, 0);  // still referenced by `second`
  // Pressure: a big sequence takes everything evictable, but not the shared blocks.
  SequenceKv big;
  const auto other = Prompt(200, 9);
  ASSERT_TRUE(cache.Admit(big, other));
  EXPECT_TRUE(cache.Reserve(big, 64));
  EXPECT_FALSE(cache.Reserve(big, 65));
  EXPECT_EQ(cache.TokenEntry(second, 0, 5)[0], 0x5A);
  cache.Release(big);
  cache.Release(second);
  EXPECT_EQ(HitFor(cache, prompt), 32);
  ExpectConsistent(cache);
}

}  // namespace
}  // namespace infermeter::engines::reference
