#pragma once
// What the cache stores for one sequence, per layer, and how many bytes each entry takes.
// Everything is derived from the architecture and the cache format, with the same formulas as
// models/kv_cache.h, so the engine's byte counts can be checked against the cost model.
//
// The cache is paged in blocks of block_tokens consecutive positions of one sequence. A block
// has two parts, allocated separately from the one byte budget:
//   persistent part: per layer, the entries that stay for the sequence's life:
//       token entries (gqa/mla/dsa: one per position), compressed entries (csa: one per
//       csa_ratio positions, hca: one per hca_ratio), indexer keys (dsa: one per position,
//       csa: one per compressed entry);
//   window part (V4 models only): per layer, the raw sliding-window entries of the block's
//       positions, plus a snapshot of the CSA compressors' carry-over state at the block's end
//       (what a prefix-cache hit ending at this block needs to resume). It is released once no
//       later position of the owning sequence can see it.
// Each sequence also owns compressor running state (partial compression blocks), fixed size.
//
// Compressor state (the sequence's state buffer, CompressorState(seq, layer) points at the
// layer's region). All values are fp32 online-softmax accumulators; one accumulator of width d
// is [running max (d) | running sum (d) | weighted value sum (d)] = 3*d floats.
// hd = arch.v4.head_dim, ihd = arch.indexer.head_dim.
//   csa layer: [current_main (3*hd) | next_main (3*hd) | current_index (3*ihd) |
//               next_index (3*ihd)]   (compressor_state_bytes = 4 * (6*hd + 6*ihd))
//       "current" accumulates the compressed entry being built, "next" the following entry,
//       which overlaps it (a CSA entry pools 2*csa_ratio tokens).
//   hca layer: [current (3*hd)]       (compressor_state_bytes = 4 * 3*hd)
//   swa layer: no state.
// KvCache::Admit zero-fills the state buffer; after a prefix-cache hit it then copies each csa
// layer's carry snapshot into the "next" regions (next_main, next_index). A zero running sum
// therefore means "nothing accumulated yet".
//
// Carry snapshot (csa layers only, in the window part of every block):
//   [next_main (3*hd) | next_index (3*ihd)] floats (carry_snapshot_bytes = 4 * (3*hd + 3*ihd)),
//   the "next" accumulators as they stand after the block's last position was processed.
//   The MODEL writes it: whenever a forward pass processes the last position of a block
//   (position block_end - 1, block_end a multiple of block_tokens), it copies its "next"
//   regions to KvCache::CarrySnapshot(seq, layer, block_end). A multi-token forward pass may
//   cross several block ends and must write each one. KvCache never copies at Commit.
//   HCA needs no carry: block_tokens is a multiple of hca_ratio, so a block always ends on a
//   finished entry.

#include <cstdint>
#include <string_view>
#include <vector>

#include "infermeter/models/architecture.h"
#include "infermeter/models/kv_cache.h"

namespace infermeter::engines::reference {

// Kinds of cache content; also the `kind` names reported in EngineStats::kv_by_kind.
enum class KvKind : std::uint8_t {
  kTokens,           // "tokens": per-position entries of gqa/mla/dsa layers
  kCompressed,       // "compressed": csa/hca compressed entries
  kIndexerKeys,      // "indexer_keys"
  kWindow,           // "window": V4 sliding-window raw entries
  kCompressorState,  // "compressor_state": partial-block state and carry snapshots
};
inline constexpr int kKvKindCount = 5;
std::string_view ToString(KvKind kind);

// Region starts inside a block part or state buffer are aligned to this many bytes.
inline constexpr std::int64_t kKvRegionAlignment = 64;

struct LayerKvLayout {
  models::AttentionKind kind = models::AttentionKind::kGqa;
  std::int64_t token_entry_bytes = 0;       // kTokens entry, 0 when the layer has none
  std::int64_t compressed_entry_bytes = 0;  // kCompressed entry
  std::int64_t tokens_per_compressed = 0;   // csa_ratio / hca_ratio, 0 without compression
  std::int64_t indexer_key_bytes = 0;
  std::int64_t tokens_per_indexer_key = 0;  // 1 (dsa), csa_ratio (csa), 0 (none)
  std::int64_t window_entry_bytes = 0;      // V4 layers
  // Running state of this layer's compressors for one sequence and the CSA carry snapshot
  // stored in each window part (layouts in the header comment).
  std::int64_t compressor_state_bytes = 0;
  std::int64_t carry_snapshot_bytes = 0;
  std::int64_t head_dim = 0;          // V4 head_dim (accumulator width of the main compressor)
  std::int64_t indexer_head_dim = 0;  // csa: indexer head_dim (width of the key compressor)

  // Byte offsets of this layer's regions inside a block's persistent and window parts, and
  // inside the sequence's compressor state buffer; meaningful only where the size above is > 0.
  std::int64_t tokens_offset = 0;
  std::int64_t compressed_offset = 0;
  std::int64_t indexer_offset = 0;
  std::int64_t window_offset = 0;
  std::int64_t carry_offset = 0;
  std::int64_t state_offset = 0;  // inside the sequence's compressor state buffer
};

struct KvLayout {
  std::int64_t block_tokens = 0;   // a multiple of every compression ratio (128 by default)
  std::int64_t window_tokens = 0;  // V4 sliding window, 0 for other models
  models::CacheFormat format;
  std::vector<LayerKvLayout> layers;
  std::int64_t persistent_block_bytes = 0;
  std::int64_t window_block_bytes = 0;  // 0 for non-V4 models
  std::int64_t sequence_state_bytes = 0;
  // How persistent_block_bytes and window_block_bytes split by kind, alignment padding
  // included (each region's padding belongs to that region's kind); used for "allocated".
  std::int64_t persistent_bytes_by_kind[kKvKindCount] = {};
  std::int64_t window_bytes_by_kind[kKvKindCount] = {};

  bool has_window() const { return window_block_bytes > 0; }
  bool has_state() const { return sequence_state_bytes > 0; }
  // Whether this model stores any content of `kind` (the kinds the engine reports).
  bool Uses(KvKind kind) const {
    const int k = static_cast<int>(kind);
    return persistent_bytes_by_kind[k] > 0 || window_bytes_by_kind[k] > 0 ||
           (kind == KvKind::kCompressorState && has_state());
  }
};

// Throws infermeter::Error when block_tokens is not a positive multiple of the compression
// ratios, or is smaller than the sliding window.
KvLayout MakeKvLayout(const models::Architecture& arch, const models::CacheFormat& format,
                      std::int64_t block_tokens = 128);

// Float offsets inside a csa layer's compressor state (see the header comment).
inline std::int64_t CsaNextMainFloat(const LayerKvLayout& l) { return 3 * l.head_dim; }
inline std::int64_t CsaCurrentIndexFloat(const LayerKvLayout& l) { return 6 * l.head_dim; }
inline std::int64_t CsaNextIndexFloat(const LayerKvLayout& l) {
  return 6 * l.head_dim + 3 * l.indexer_head_dim;
}

}  // namespace infermeter::engines::reference
