#pragma once
// The bookkeeping under KvCache: block slots and their memory, the byte budget, the prefix
// map and LRU list of cached blocks, window-part holders, and the exact per-kind accounting.
// KvCache (kv_cache.cpp) implements the sequence-level operations on top of it. Internal to
// the engines_kv part; only kv_cache.cpp and block_pool.cpp include it.

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "infermeter/core/engine.h"
#include "kv/kv_cache.h"
#include "kv/kv_layout.h"

namespace infermeter::engines::reference::kv_internal {

inline constexpr std::uint64_t kRootHash = 0x9E3779B97F4A7C15ULL;

// Hash of a full block: its token ids chained onto the parent block's hash (kRootHash for the
// first block), mixed with splitmix64's finalizer. A collision never causes a false hit:
// matches also compare the stored tokens and the parent block.
std::uint64_t HashBlock(std::uint64_t parent_hash, std::span<const TokenId> tokens);

// Bytes handed out from the budget: one 64-byte-aligned allocation per block part or state
// buffer, made when needed and freed when released, so an unused budget commits no memory.
struct AlignedFree {
  void operator()(std::uint8_t* p) const;
};
using Bytes = std::unique_ptr<std::uint8_t, AlignedFree>;

using KindBytes = std::array<std::int64_t, kKvKindCount>;
constexpr int Index(KvKind kind) { return static_cast<int>(kind); }

struct BlockPool {
  struct Block {
    Bytes persistent;
    Bytes window;  // null when released or for layouts without window parts
    std::int32_t refcount = 0;
    std::int64_t filled = 0;              // positions written (a shared block is always full)
    std::uint64_t hash = 0;               // valid once full (with prefix caching)
    bool registered = false;              // in the prefix map; only those are kept at refcount 0
    bool resume_point = false;            // cached full block that keeps its window part for hits
    std::int32_t parent = -1;             // previous block of the chain (its canonical id), checked
    std::uint64_t parent_generation = 0;  // on a match together with the parent's generation
    std::uint64_t generation = 0;         // bumped when the slot is freed, so stale parents fail
    // The block the prefix map knows for this content: itself when registered, or the
    // identical block that was already cached when this one became full. Children name it as
    // their parent, so a chain stays reachable through the cached copy.
    std::int32_t canonical = -1;
    std::uint64_t canonical_generation = 0;
    std::vector<TokenId> tokens;  // the block's ids, compared on a match
    // Written lengths of the sequences that still need the window part.
    std::vector<std::int64_t> window_holders;
    bool in_lru = false;
    std::list<std::int32_t>::iterator lru_position;
  };

  const KvLayout& layout;
  std::int64_t budget = 0;
  bool prefix_caching = true;
  std::int64_t block_tokens = 0;
  std::int64_t window_tokens = 0;
  std::int64_t window_entry_bytes_sum = 0;  // one position's window entries, all layers
  std::int64_t state_used_bytes = 0;        // live bytes in one state buffer
  std::int64_t carry_used_bytes = 0;        // live bytes of one block's carry snapshots

  std::vector<Block> blocks;
  std::vector<std::int32_t> free_block_ids;
  std::vector<Bytes> states;
  std::vector<std::int32_t> free_state_ids;
  std::unordered_map<std::uint64_t, std::int32_t> prefix;
  std::list<std::int32_t> lru;  // front = evicted first

  std::int64_t handed_out = 0;    // bytes of parts and state buffers allocated now
  std::int64_t cached_bytes = 0;  // of those, in unreferenced cached blocks (evictable)
  KindBytes used{};
  KindBytes allocated{};
  KindBytes peak{};
  std::int64_t peak_total = 0;
  std::int64_t evicted_blocks = 0;
  std::int64_t queried_tokens = 0;
  std::int64_t hit_tokens = 0;

  BlockPool(const KvLayout& l, std::int64_t budget_bytes, bool caching);

  std::int64_t BlockBytes() const {
    return layout.persistent_block_bytes + layout.window_block_bytes;
  }
  std::int64_t CachedBlockBytes(const Block& b) const {
    return layout.persistent_block_bytes + (b.window ? layout.window_block_bytes : 0);
  }
  std::int64_t Available() const { return budget - handed_out + cached_bytes; }

  // First block whose window part a sequence of written length L still needs.
  std::int64_t FirstPinnedBlock(std::int64_t L) const {
    if (L < block_tokens) return 0;
    const std::int64_t last_full = L / block_tokens - 1;
    const std::int64_t x = L - window_tokens + 2;
    const std::int64_t visible = x <= 0 ? 0 : (x + block_tokens - 1) / block_tokens - 1;
    return std::min(last_full, visible);
  }

  // Window entries of block `index` counted as used: for a resume point, the whole window at
  // its end; otherwise the longest overlap of a holder's window [L - window, L) with the
  // block. Holders of a shared block are all past its end, so their overlaps are nested
  // suffixes of the block and the longest one is their union.
  std::int64_t WindowLive(const Block& b, std::int64_t index) const {
    if (!b.window) return 0;
    if (b.resume_point) return window_tokens;
    const std::int64_t start = index * block_tokens;
    const std::int64_t end = start + block_tokens;
    std::int64_t live = 0;
    for (const std::int64_t L : b.window_holders) {
      const std::int64_t lo = std::max(start, L - window_tokens);
      const std::int64_t hi = std::min(end, L);
      live = std::max(live, hi - lo);
    }
    return live;
  }

  // A block's contribution to "used", by kind. `index` is its position in its chain.
  KindBytes BlockUsed(const Block& b, std::int64_t index) const;

  // Runs `change` on a block while keeping "used" exact: subtracts its old contribution and
  // adds the new one. Chain index = the block's position in its sequences (equal for all).
  template <typename F>
  void Modify(std::int32_t id, std::int64_t index, F&& change) {
    Block& b = blocks[static_cast<std::size_t>(id)];
    const KindBytes before = BlockUsed(b, index);
    change(b);
    const KindBytes after = BlockUsed(b, index);
    for (int k = 0; k < kKvKindCount; ++k) used[k] += after[k] - before[k];
  }

  void UpdatePeaks();

  void AddAllocated(const std::int64_t* by_kind, std::int64_t sign);

  // Evicts least recently used unreferenced blocks until `bytes` fit in the budget.
  // REQUIRES: bytes <= Available().
  void MakeRoom(std::int64_t bytes);

  void RemoveFromLru(Block& b) {
    if (!b.in_lru) return;
    lru.erase(b.lru_position);
    b.in_lru = false;
    cached_bytes -= CachedBlockBytes(b);
  }

  void FreeWindow(std::int32_t id, std::int64_t index);

  // Returns a block's parts to the budget. Its chain index does not matter: the block holds
  // no window holders here, and a resume point's live window does not depend on the index.
  void FreeBlock(std::int32_t id);

  // A block slot with fresh parts (persistent, and window for V4), refcount 1.
  // REQUIRES: the budget has room (MakeRoom).
  std::int32_t NewBlock();

  // A zeroed compressor state buffer. REQUIRES: the budget has room.
  std::int32_t NewState();

  void FreeState(std::int32_t id);

  static void RemoveHolder(Block& b, std::int64_t L) {
    auto it = std::find(b.window_holders.begin(), b.window_holders.end(), L);
    assert(it != b.window_holders.end());
    if (it != b.window_holders.end()) b.window_holders.erase(it);
  }

  // Does `id` still stand for the block that was cached with these tokens after `parent`?
  bool Matches(std::int32_t id, std::int32_t parent, std::span<const TokenId> tokens) const;

  // True when a registered block can still be reached from the root (its parent lives).
  bool StillReachable(std::int32_t id) const;

  // Hashes block `index` of seq, which just became full, and offers it to the prefix map.
  void Register(const SequenceKv& seq, std::size_t index, std::span<const TokenId> tokens);
};

}  // namespace infermeter::engines::reference::kv_internal
