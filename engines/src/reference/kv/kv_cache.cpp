#include "kv/kv_cache.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "kv/block_pool.h"

namespace infermeter::engines::reference {

using kv_internal::HashBlock;
using kv_internal::kRootHash;

struct KvCache::Impl : kv_internal::BlockPool {
  using BlockPool::BlockPool;
};

KvCache::KvCache(KvLayout layout, std::int64_t budget_bytes, bool prefix_caching)
    : layout_(std::move(layout)) {
  const std::int64_t least =
      layout_.persistent_block_bytes + layout_.window_block_bytes + layout_.sequence_state_bytes;
  if (budget_bytes < least) {
    throw Error(fmt::format(
        "KV cache budget of {} bytes cannot hold one block of {} tokens plus one sequence's "
        "state ({} bytes)",
        budget_bytes, layout_.block_tokens, least));
  }
  impl_ = std::make_unique<Impl>(layout_, budget_bytes, prefix_caching);
}

KvCache::~KvCache() = default;

std::int64_t KvCache::budget_bytes() const { return impl_->budget; }

bool KvCache::Admit(SequenceKv& seq, std::span<const TokenId> prompt) {
  Impl& m = *impl_;
  assert(seq.blocks.empty() && seq.state_buffer < 0);
  const auto B = static_cast<std::size_t>(layout_.block_tokens);

  // Longest chain of cached full blocks, leaving at least one prompt token to compute.
  std::vector<std::int32_t> matched;
  if (m.prefix_caching && !prompt.empty()) {
    const std::size_t max_blocks = (prompt.size() - 1) / B;
    std::uint64_t parent_hash = kRootHash;
    std::int32_t parent = -1;
    for (std::size_t i = 0; i < max_blocks; ++i) {
      const auto ids = prompt.subspan(i * B, B);
      const std::uint64_t h = HashBlock(parent_hash, ids);
      const auto it = m.prefix.find(h);
      if (it == m.prefix.end() || !m.Matches(it->second, parent, ids)) break;
      matched.push_back(it->second);
      parent = it->second;
      parent_hash = h;
    }
    // Resuming needs the window and the compressor carry at the end of the last block.
    if (layout_.has_window()) {
      while (!matched.empty() && !m.blocks[static_cast<std::size_t>(matched.back())].window) {
        matched.pop_back();
      }
    }
  }

  // The state buffer and the first new block must fit without evicting the matched blocks.
  std::int64_t matched_cached = 0;
  for (const std::int32_t id : matched) {
    const auto& b = m.blocks[static_cast<std::size_t>(id)];
    if (b.in_lru) matched_cached += m.CachedBlockBytes(b);
  }
  const std::int64_t need = layout_.sequence_state_bytes + m.BlockBytes();
  if (need > m.Available() - matched_cached) return false;

  const auto L = static_cast<std::int64_t>(matched.size()) * layout_.block_tokens;
  for (std::size_t i = 0; i < matched.size(); ++i) {
    const std::int32_t id = matched[i];
    m.Modify(id, static_cast<std::int64_t>(i), [&](Impl::Block& b) {
      m.RemoveFromLru(b);
      ++b.refcount;
      if (layout_.has_window() && i + 1 == matched.size()) b.window_holders.push_back(L);
    });
  }
  seq.blocks = matched;
  seq.tokens = seq.written_tokens = seq.cached_tokens = L;

  if (layout_.has_state()) {
    m.MakeRoom(layout_.sequence_state_bytes);
    seq.state_buffer = m.NewState();
    if (!matched.empty()) {
      const std::uint8_t* window = m.blocks[static_cast<std::size_t>(matched.back())].window.get();
      std::uint8_t* state = m.states[static_cast<std::size_t>(seq.state_buffer)].get();
      for (const auto& l : layout_.layers) {
        if (l.carry_snapshot_bytes == 0) continue;
        const std::uint8_t* carry = window + l.carry_offset;
        auto* layer_state = reinterpret_cast<float*>(state + l.state_offset);
        std::memcpy(layer_state + CsaNextMainFloat(l), carry,
                    static_cast<std::size_t>(3 * l.head_dim) * sizeof(float));
        std::memcpy(layer_state + CsaNextIndexFloat(l),
                    carry + 3 * l.head_dim * static_cast<std::int64_t>(sizeof(float)),
                    static_cast<std::size_t>(3 * l.indexer_head_dim) * sizeof(float));
      }
    }
  }
  m.queried_tokens += static_cast<std::int64_t>(prompt.size());
  m.hit_tokens += L;
  m.UpdatePeaks();
  return true;
}

std::int64_t KvCache::BytesToReserve(const SequenceKv& seq, std::int64_t new_tokens) const {
  const std::int64_t B = layout_.block_tokens;
  const std::int64_t blocks_needed =
      (new_tokens + B - 1) / B - static_cast<std::int64_t>(seq.blocks.size());
  return blocks_needed > 0 ? blocks_needed * impl_->BlockBytes() : 0;
}

std::int64_t KvCache::ReservableTokens(const SequenceKv& seq) const {
  const std::int64_t more = impl_->Available() / impl_->BlockBytes();
  const std::int64_t reachable =
      (static_cast<std::int64_t>(seq.blocks.size()) + more) * layout_.block_tokens;
  return std::max(reachable, seq.tokens);
}

std::int64_t KvCache::BytesForSequence(std::int64_t context_tokens) const {
  const std::int64_t blocks = (context_tokens + layout_.block_tokens - 1) / layout_.block_tokens;
  return blocks * layout_.persistent_block_bytes +
         std::min<std::int64_t>(blocks, 2) * layout_.window_block_bytes +
         layout_.sequence_state_bytes;
}

bool KvCache::Reserve(SequenceKv& seq, std::int64_t new_tokens) {
  Impl& m = *impl_;
  if (new_tokens <= seq.tokens) return true;
  const std::int64_t need = BytesToReserve(seq, new_tokens);
  if (need > m.Available()) return false;
  m.MakeRoom(need);
  const std::int64_t B = layout_.block_tokens;
  while (static_cast<std::int64_t>(seq.blocks.size()) * B < new_tokens) {
    const std::int32_t id = m.NewBlock();
    // A new block lies after the sequence's end, so it is within its window from now on.
    if (layout_.has_window()) {
      m.blocks[static_cast<std::size_t>(id)].window_holders.push_back(seq.written_tokens);
    }
    seq.blocks.push_back(id);
  }
  seq.tokens = new_tokens;
  m.UpdatePeaks();
  return true;
}

void KvCache::Commit(SequenceKv& seq, std::span<const TokenId> tokens,
                     std::int64_t written_tokens) {
  Impl& m = *impl_;
  const std::int64_t B = layout_.block_tokens;
  const std::int64_t old_written = seq.written_tokens;
  assert(written_tokens >= old_written && written_tokens <= seq.tokens);
  assert(static_cast<std::int64_t>(tokens.size()) >= written_tokens);
  if (written_tokens <= old_written) return;

  // Fill counts of the blocks written into; blocks that became full are offered for reuse.
  for (std::int64_t j = old_written / B; j * B < written_tokens; ++j) {
    const std::int32_t id = seq.blocks[static_cast<std::size_t>(j)];
    m.Modify(id, j, [&](Impl::Block& b) { b.filled = std::min(B, written_tokens - j * B); });
    if (m.prefix_caching && m.blocks[static_cast<std::size_t>(id)].filled == B) {
      m.Register(seq, static_cast<std::size_t>(j), tokens);
    }
  }

  if (layout_.has_window()) {
    const std::int64_t first_old = m.FirstPinnedBlock(old_written);
    const std::int64_t first_new = m.FirstPinnedBlock(written_tokens);
    for (auto j = first_old; j < static_cast<std::int64_t>(seq.blocks.size()); ++j) {
      const std::int32_t id = seq.blocks[static_cast<std::size_t>(j)];
      bool unneeded = false;
      m.Modify(id, j, [&](Impl::Block& b) {
        Impl::RemoveHolder(b, old_written);
        if (j >= first_new) {
          b.window_holders.push_back(written_tokens);
        } else {
          unneeded = b.window_holders.empty() && !b.resume_point;
        }
      });
      if (unneeded) m.FreeWindow(id, j);
    }
  }
  seq.written_tokens = written_tokens;
  m.UpdatePeaks();
}

void KvCache::Release(SequenceKv& seq) {
  Impl& m = *impl_;
  const auto n = static_cast<std::int64_t>(seq.blocks.size());
  if (layout_.has_window()) {
    for (auto j = m.FirstPinnedBlock(seq.written_tokens); j < n; ++j) {
      m.Modify(seq.blocks[static_cast<std::size_t>(j)], j,
               [&](Impl::Block& b) { Impl::RemoveHolder(b, seq.written_tokens); });
    }
  }
  // Last block first, so that within one sequence the deepest blocks are evicted first and a
  // chain never loses its root before its leaves.
  for (std::int64_t j = n - 1; j >= 0; --j) {
    const std::int32_t id = seq.blocks[static_cast<std::size_t>(j)];
    bool free_window = false;
    m.Modify(id, j, [&](Impl::Block& b) {
      --b.refcount;
      if (b.window && b.window_holders.empty() && !b.resume_point) {
        if (b.registered && b.filled == layout_.block_tokens) {
          b.resume_point = true;
        } else {
          free_window = true;
        }
      }
    });
    Impl::Block& b = m.blocks[static_cast<std::size_t>(id)];
    if (b.refcount > 0) {
      if (free_window) m.FreeWindow(id, j);
      continue;
    }
    if (b.registered) {
      if (free_window) m.FreeWindow(id, j);
      m.lru.push_back(id);
      b.in_lru = true;
      b.lru_position = std::prev(m.lru.end());
      m.cached_bytes += m.CachedBlockBytes(b);
    } else {
      m.FreeBlock(id);
    }
  }
  if (seq.state_buffer >= 0) m.FreeState(seq.state_buffer);
  seq = SequenceKv{};
  m.UpdatePeaks();
}

std::uint8_t* KvCache::TokenEntry(const SequenceKv& seq, std::size_t layer, std::int64_t position) {
  const auto& l = layout_.layers[layer];
  const std::int64_t B = layout_.block_tokens;
  const auto& b =
      impl_->blocks[static_cast<std::size_t>(seq.blocks[static_cast<std::size_t>(position / B)])];
  return b.persistent.get() + l.tokens_offset + position % B * l.token_entry_bytes;
}

std::uint8_t* KvCache::CompressedEntry(const SequenceKv& seq, std::size_t layer,
                                       std::int64_t index) {
  const auto& l = layout_.layers[layer];
  const std::int64_t per_block = layout_.block_tokens / l.tokens_per_compressed;
  const auto& b = impl_->blocks[static_cast<std::size_t>(
      seq.blocks[static_cast<std::size_t>(index / per_block)])];
  return b.persistent.get() + l.compressed_offset + index % per_block * l.compressed_entry_bytes;
}

std::uint8_t* KvCache::IndexerKey(const SequenceKv& seq, std::size_t layer, std::int64_t index) {
  const auto& l = layout_.layers[layer];
  const std::int64_t per_block = layout_.block_tokens / l.tokens_per_indexer_key;
  const auto& b = impl_->blocks[static_cast<std::size_t>(
      seq.blocks[static_cast<std::size_t>(index / per_block)])];
  return b.persistent.get() + l.indexer_offset + index % per_block * l.indexer_key_bytes;
}

std::uint8_t* KvCache::WindowEntry(const SequenceKv& seq, std::size_t layer,
                                   std::int64_t position) {
  const auto& l = layout_.layers[layer];
  const std::int64_t B = layout_.block_tokens;
  const auto& b =
      impl_->blocks[static_cast<std::size_t>(seq.blocks[static_cast<std::size_t>(position / B)])];
  assert(b.window);
  return b.window.get() + l.window_offset + position % B * l.window_entry_bytes;
}

std::uint8_t* KvCache::CarrySnapshot(const SequenceKv& seq, std::size_t layer,
                                     std::int64_t block_end_position) {
  const auto& l = layout_.layers[layer];
  const std::int64_t index = block_end_position / layout_.block_tokens - 1;
  const auto& b =
      impl_->blocks[static_cast<std::size_t>(seq.blocks[static_cast<std::size_t>(index)])];
  assert(b.window && l.carry_snapshot_bytes > 0);
  return b.window.get() + l.carry_offset;
}

std::uint8_t* KvCache::CompressorState(const SequenceKv& seq, std::size_t layer) {
  assert(seq.state_buffer >= 0);
  return impl_->states[static_cast<std::size_t>(seq.state_buffer)].get() +
         layout_.layers[layer].state_offset;
}

KvCacheStats KvCache::Stats() const {
  const Impl& m = *impl_;
  KvCacheStats s;
  for (int k = 0; k < kKvKindCount; ++k) {
    s.by_kind[k] = {m.used[k], m.allocated[k], m.peak[k]};
    s.used_bytes += m.used[k];
    s.allocated_bytes += m.allocated[k];
  }
  s.peak_used_bytes = m.peak_total;
  s.capacity_bytes = m.budget;
  s.cached_blocks = static_cast<std::int64_t>(m.lru.size());
  s.evicted_blocks = m.evicted_blocks;
  s.queried_tokens = m.queried_tokens;
  s.hit_tokens = m.hit_tokens;
  return s;
}

void KvCache::FillEngineStats(EngineStats& out) const {
  const KvCacheStats s = Stats();
  out.kv_used_bytes = s.used_bytes;
  out.kv_allocated_bytes = s.allocated_bytes;
  out.kv_peak_used_bytes = s.peak_used_bytes;
  out.kv_capacity_bytes = s.capacity_bytes;
  out.kv_by_kind.clear();
  for (int k = 0; k < kKvKindCount; ++k) {
    const auto kind = static_cast<KvKind>(k);
    if (!layout_.Uses(kind)) continue;
    out.kv_by_kind.push_back({.kind = std::string(ToString(kind)),
                              .used_bytes = s.by_kind[k].used_bytes,
                              .allocated_bytes = s.by_kind[k].allocated_bytes,
                              .peak_used_bytes = s.by_kind[k].peak_used_bytes});
  }
  out.prefix_cache_queried_tokens = s.queried_tokens;
  out.prefix_cache_hit_tokens = s.hit_tokens;
}

}  // namespace infermeter::engines::reference
