#pragma once
// The paged KV cache: a byte budget, blocks handed to sequences, prefix caching by block hash
// with LRU eviction of unreferenced blocks, and the per-kind byte accounting the engine reports.
// Not thread-safe: the engine's step thread is its only user.
//
// Prefix caching. A full block is identified by hash(parent block's hash, its block_tokens
// token ids). When a sequence frees its blocks, full blocks stay in the cache (unreferenced,
// LRU-ordered) until the budget needs them. A new sequence reuses the longest run of cached
// blocks that matches its prompt; for V4 models the last reused block must still hold its
// window part (the sliding window and compressor carry needed to resume), and at least one
// prompt token is always left to compute so the request gets logits.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "infermeter/core/engine.h"
#include "kv/kv_layout.h"

namespace infermeter::engines::reference {

class KvCache;

// One sequence's view of the cache: its block table and state buffer. Owned by the sequence,
// managed by KvCache (only KvCache changes it).
struct SequenceKv {
  std::vector<std::int32_t> blocks;  // block ids, position p lives in blocks[p / block_tokens]
  std::int64_t tokens = 0;           // positions with storage reserved
  std::int64_t written_tokens = 0;   // positions whose entries the model has written
  std::int32_t state_buffer = -1;    // compressor state buffer id, -1 when none
  std::int64_t cached_tokens = 0;    // positions taken from the prefix cache at admission
};

struct KvKindUsage {
  std::int64_t used_bytes = 0;
  std::int64_t allocated_bytes = 0;
  std::int64_t peak_used_bytes = 0;
};

struct KvCacheStats {
  KvKindUsage by_kind[kKvKindCount];
  std::int64_t used_bytes = 0;
  std::int64_t allocated_bytes = 0;
  std::int64_t peak_used_bytes = 0;
  std::int64_t capacity_bytes = 0;
  std::int64_t cached_blocks = 0;  // unreferenced blocks kept for prefix reuse
  std::int64_t evicted_blocks = 0;
  std::int64_t queried_tokens = 0;
  std::int64_t hit_tokens = 0;
};

class KvCache {
 public:
  // Throws infermeter::Error when the budget cannot hold one block plus one sequence's state.
  KvCache(KvLayout layout, std::int64_t budget_bytes, bool prefix_caching);
  ~KvCache();
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  const KvLayout& layout() const { return layout_; }

  // Admission: attaches the longest usable cached prefix of `prompt` to `seq` (seq must be
  // empty) and reserves its state buffer. Returns false, leaving seq empty, when the budget
  // (after evicting unreferenced cached blocks) cannot hold the state buffer plus one block
  // (the block of the first position left to compute), so that after a successful Admit a
  // Reserve of at least one more position always succeeds. Counts prompt.size() queried
  // tokens and the matched positions as hit tokens (only when it succeeds).
  // After a hit of m blocks: seq.tokens = written_tokens = cached_tokens = m * block_tokens,
  // the state buffer is zeroed and each csa layer's "next" regions hold block m-1's carry
  // snapshot (kv_layout.h).
  bool Admit(SequenceKv& seq, std::span<const TokenId> prompt);
  // Reserves storage for positions [seq.tokens, new_tokens). False (nothing reserved) when the
  // budget cannot hold it even after evicting unreferenced cached blocks.
  bool Reserve(SequenceKv& seq, std::int64_t new_tokens);
  // Bytes Reserve(seq, new_tokens) would need beyond what seq already has (for admission).
  std::int64_t BytesToReserve(const SequenceKv& seq, std::int64_t new_tokens) const;
  // The largest new_tokens Reserve(seq, new_tokens) would accept now (a multiple of
  // block_tokens, or seq.tokens when nothing more fits).
  std::int64_t ReservableTokens(const SequenceKv& seq) const;
  // The least budget a sequence of `context_tokens` positions needs alone: its persistent
  // parts, the window parts alive at once when it advances at most one block per step (two),
  // and its state buffer. A request above the budget can never run.
  std::int64_t BytesForSequence(std::int64_t context_tokens) const;
  std::int64_t budget_bytes() const;
  // The model wrote positions up to `written_tokens` of `tokens` (the sequence's token ids so
  // far): newly full blocks are hashed for reuse, window parts nobody can see are released.
  // Window-part rule: block j's window part stays while a future position p >= written_tokens
  // can see it (p - window + 1 <= (j+1)*block_tokens - 1), and the last full block always
  // keeps it (a resume point for prefix hits). A block shared by several sequences keeps it
  // while any of them needs it. Commit does not copy carry snapshots (the model writes them,
  // see kv_layout.h).
  void Commit(SequenceKv& seq, std::span<const TokenId> tokens, std::int64_t written_tokens);
  // Returns all of seq's storage. Full blocks stay cached when prefix caching is on (LRU, the
  // sequence's last block first in eviction order); a full block that still has its window
  // part keeps it as a resume point until evicted. Partial blocks are freed.
  void Release(SequenceKv& seq);

  // Entry addresses. REQUIRES: the position or index lies in storage reserved for seq.
  // WindowEntry and CarrySnapshot also need the block's window part: it is there for every
  // position >= seq.written_tokens - window_tokens + 1 (all a position computed in the next
  // step can see), for the block of every position >= seq.written_tokens, and for the last
  // full block; older window parts may be gone.
  std::uint8_t* TokenEntry(const SequenceKv& seq, std::size_t layer, std::int64_t position);
  std::uint8_t* CompressedEntry(const SequenceKv& seq, std::size_t layer, std::int64_t index);
  std::uint8_t* IndexerKey(const SequenceKv& seq, std::size_t layer, std::int64_t index);
  std::uint8_t* WindowEntry(const SequenceKv& seq, std::size_t layer, std::int64_t position);
  // Carry snapshot stored with the block that ends just before `block_end_position`.
  std::uint8_t* CarrySnapshot(const SequenceKv& seq, std::size_t layer,
                              std::int64_t block_end_position);
  std::uint8_t* CompressorState(const SequenceKv& seq, std::size_t layer);

  // Accounting. "used" counts live entries the way models::SequenceKvBytes does: written
  // positions (tokens), floor(written/ratio) compressed entries and indexer keys per block,
  // and per window part the entries inside the window of some sequence holding it (a running
  // sequence at length L: positions [L - window, L)); a cached full block kept as a resume
  // point counts its last `window` positions. Cached (unreferenced) blocks count as used: they
  // hold valid entries. compressor_state: each state buffer (the layers' state bytes) and the
  // carry snapshot of every full block holding a window part. Shared blocks count once.
  // "allocated": bytes of parts handed out, alignment padding included. Capacity = budget.
  KvCacheStats Stats() const;
  // Writes Stats() into the engine's report: the kv_* totals, one kv_by_kind entry per kind
  // the layout uses (named by ToString(KvKind)), and the prefix-cache token counters.
  void FillEngineStats(EngineStats& out) const;

 private:
  struct Impl;
  KvLayout layout_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace infermeter::engines::reference
