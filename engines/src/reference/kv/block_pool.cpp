#include "kv/block_pool.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace infermeter::engines::reference::kv_internal {
namespace {

std::uint64_t Mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

Bytes AllocateBytes(std::int64_t size) {
  // Every part size is a multiple of the alignment (kv_layout.cpp pads each region).
  void* p = std::aligned_alloc(static_cast<std::size_t>(kKvRegionAlignment),
                               static_cast<std::size_t>(size));
  if (p == nullptr) throw std::bad_alloc();
  return Bytes(static_cast<std::uint8_t*>(p));
}

}  // namespace

std::uint64_t HashBlock(std::uint64_t parent_hash, std::span<const TokenId> tokens) {
  std::uint64_t h = Mix(parent_hash + kRootHash);
  for (const TokenId t : tokens) {
    h = Mix(h ^ (static_cast<std::uint64_t>(static_cast<std::uint32_t>(t)) + kRootHash));
  }
  return h;
}

void AlignedFree::operator()(std::uint8_t* p) const { std::free(p); }

BlockPool::BlockPool(const KvLayout& l, std::int64_t budget_bytes, bool caching)
    : layout(l),
      budget(budget_bytes),
      prefix_caching(caching),
      block_tokens(l.block_tokens),
      window_tokens(l.window_tokens) {
  for (const auto& layer : l.layers) {
    window_entry_bytes_sum += layer.window_entry_bytes;
    state_used_bytes += layer.compressor_state_bytes;
    carry_used_bytes += layer.carry_snapshot_bytes;
  }
}

// A block's contribution to "used", by kind. `index` is its position in its chain.
KindBytes BlockPool::BlockUsed(const Block& b, std::int64_t index) const {
  KindBytes out{};
  if (!b.persistent) return out;
  for (const auto& l : layout.layers) {
    out[Index(KvKind::kTokens)] += b.filled * l.token_entry_bytes;
    if (l.tokens_per_compressed > 0) {
      out[Index(KvKind::kCompressed)] +=
          b.filled / l.tokens_per_compressed * l.compressed_entry_bytes;
    }
    if (l.tokens_per_indexer_key > 0) {
      out[Index(KvKind::kIndexerKeys)] += b.filled / l.tokens_per_indexer_key * l.indexer_key_bytes;
    }
  }
  out[Index(KvKind::kWindow)] = WindowLive(b, index) * window_entry_bytes_sum;
  if (b.window && b.filled == block_tokens) {
    out[Index(KvKind::kCompressorState)] = carry_used_bytes;
  }
  return out;
}

void BlockPool::UpdatePeaks() {
  std::int64_t total = 0;
  for (int k = 0; k < kKvKindCount; ++k) {
    peak[k] = std::max(peak[k], used[k]);
    total += used[k];
  }
  peak_total = std::max(peak_total, total);
}

void BlockPool::AddAllocated(const std::int64_t* by_kind, std::int64_t sign) {
  for (int k = 0; k < kKvKindCount; ++k) allocated[k] += sign * by_kind[k];
}

// Evicts least recently used unreferenced blocks until `bytes` fit in the budget.
// REQUIRES: bytes <= Available().
void BlockPool::MakeRoom(std::int64_t bytes) {
  while (budget - handed_out < bytes) {
    assert(!lru.empty());
    const std::int32_t id = lru.front();
    FreeBlock(id);
    ++evicted_blocks;
  }
}

void BlockPool::FreeWindow(std::int32_t id, std::int64_t index) {
  Modify(id, index, [&](Block& b) {
    if (b.in_lru) cached_bytes -= layout.window_block_bytes;
    b.window.reset();
    b.resume_point = false;
  });
  handed_out -= layout.window_block_bytes;
  AddAllocated(layout.window_bytes_by_kind, -1);
}

// Returns a block's parts to the budget. Its chain index does not matter: the block holds
// no window holders here, and a resume point's live window does not depend on the index.
void BlockPool::FreeBlock(std::int32_t id) {
  Block& b = blocks[static_cast<std::size_t>(id)];
  RemoveFromLru(b);
  const KindBytes before = BlockUsed(b, 0);
  for (int k = 0; k < kKvKindCount; ++k) used[k] -= before[k];
  if (b.registered) {
    auto it = prefix.find(b.hash);
    if (it != prefix.end() && it->second == id) prefix.erase(it);
  }
  handed_out -= layout.persistent_block_bytes;
  AddAllocated(layout.persistent_bytes_by_kind, -1);
  if (b.window) {
    handed_out -= layout.window_block_bytes;
    AddAllocated(layout.window_bytes_by_kind, -1);
  }
  const std::uint64_t generation = b.generation + 1;
  b = Block{};
  b.generation = generation;
  free_block_ids.push_back(id);
}

void BlockPool::FreeState(std::int32_t id) {
  states[static_cast<std::size_t>(id)].reset();
  free_state_ids.push_back(id);
  handed_out -= layout.sequence_state_bytes;
  allocated[Index(KvKind::kCompressorState)] -= layout.sequence_state_bytes;
  used[Index(KvKind::kCompressorState)] -= state_used_bytes;
}

// Does `id` still stand for the block that was cached with these tokens after `parent`?
bool BlockPool::Matches(std::int32_t id, std::int32_t parent,
                        std::span<const TokenId> tokens) const {
  const Block& b = blocks[static_cast<std::size_t>(id)];
  if (!b.registered || b.parent != parent) return false;
  if (parent >= 0 && blocks[static_cast<std::size_t>(parent)].generation != b.parent_generation) {
    return false;
  }
  return std::equal(tokens.begin(), tokens.end(), b.tokens.begin(), b.tokens.end());
}

// True when a registered block can still be reached from the root (its parent lives).
bool BlockPool::StillReachable(std::int32_t id) const {
  const Block& b = blocks[static_cast<std::size_t>(id)];
  if (!b.registered) return false;
  return b.parent < 0 ||
         blocks[static_cast<std::size_t>(b.parent)].generation == b.parent_generation;
}

// Hashes block `index` of seq, which just became full, and offers it to the prefix map.
void BlockPool::Register(const SequenceKv& seq, std::size_t index,
                         std::span<const TokenId> tokens) {
  const std::int32_t own = seq.blocks[index];
  std::int32_t parent = -1;
  std::uint64_t parent_generation = 0;
  std::uint64_t parent_hash = kRootHash;
  if (index > 0) {
    const Block& p = blocks[static_cast<std::size_t>(seq.blocks[index - 1])];
    parent = p.canonical;
    parent_generation = p.canonical_generation;
    parent_hash = p.hash;
  }
  const auto ids = tokens.subspan(index * static_cast<std::size_t>(block_tokens),
                                  static_cast<std::size_t>(block_tokens));
  Block& b = blocks[static_cast<std::size_t>(own)];
  b.hash = HashBlock(parent_hash, ids);
  b.parent = parent;
  b.parent_generation = parent_generation;
  b.canonical = own;
  b.canonical_generation = b.generation;
  auto [it, inserted] = prefix.try_emplace(b.hash, own);
  if (!inserted) {
    const std::int32_t other = it->second;
    if (Matches(other, parent, ids)) {  // the same content is cached already: no dedup
      b.canonical = other;
      b.canonical_generation = blocks[static_cast<std::size_t>(other)].generation;
      return;
    }
    // A different live block with the same hash (astronomically rare) keeps its place; a
    // stale one whose parent is gone gives it up.
    if (StillReachable(other)) return;
    blocks[static_cast<std::size_t>(other)].registered = false;
    it->second = own;
  }
  b.registered = true;
  b.tokens.assign(ids.begin(), ids.end());
}

std::int32_t BlockPool::NewBlock() {
  std::int32_t id;
  if (!free_block_ids.empty()) {
    id = free_block_ids.back();
    free_block_ids.pop_back();
  } else {
    id = static_cast<std::int32_t>(blocks.size());
    blocks.emplace_back();
  }
  Block& b = blocks[static_cast<std::size_t>(id)];
  b.persistent = AllocateBytes(layout.persistent_block_bytes);
  handed_out += layout.persistent_block_bytes;
  AddAllocated(layout.persistent_bytes_by_kind, +1);
  if (layout.has_window()) {
    b.window = AllocateBytes(layout.window_block_bytes);
    handed_out += layout.window_block_bytes;
    AddAllocated(layout.window_bytes_by_kind, +1);
  }
  b.refcount = 1;
  return id;
}

std::int32_t BlockPool::NewState() {
  std::int32_t id;
  if (!free_state_ids.empty()) {
    id = free_state_ids.back();
    free_state_ids.pop_back();
  } else {
    id = static_cast<std::int32_t>(states.size());
    states.emplace_back();
  }
  Bytes& s = states[static_cast<std::size_t>(id)];
  s = AllocateBytes(layout.sequence_state_bytes);
  std::memset(s.get(), 0, static_cast<std::size_t>(layout.sequence_state_bytes));
  handed_out += layout.sequence_state_bytes;
  allocated[Index(KvKind::kCompressorState)] += layout.sequence_state_bytes;
  used[Index(KvKind::kCompressorState)] += state_used_bytes;
  return id;
}

}  // namespace infermeter::engines::reference::kv_internal
