#include "kv/kv_layout.h"

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::engines::reference {
namespace {

using models::AttentionKind;

std::int64_t AlignUp(std::int64_t bytes) {
  return (bytes + kKvRegionAlignment - 1) / kKvRegionAlignment * kKvRegionAlignment;
}

bool IsV4(AttentionKind kind) {
  return kind == AttentionKind::kSwa || kind == AttentionKind::kCsa || kind == AttentionKind::kHca;
}

// Places regions one after another, each start aligned; remembers the bytes per kind.
class RegionPacker {
 public:
  explicit RegionPacker(std::int64_t* bytes_by_kind) : bytes_by_kind_(bytes_by_kind) {}
  // Returns the region's offset; a zero-sized region takes no space.
  std::int64_t Place(std::int64_t bytes, KvKind kind) {
    if (bytes == 0) return 0;
    const std::int64_t offset = end_;
    end_ += AlignUp(bytes);
    if (bytes_by_kind_ != nullptr) bytes_by_kind_[static_cast<int>(kind)] += AlignUp(bytes);
    return offset;
  }
  std::int64_t end() const { return end_; }

 private:
  std::int64_t* bytes_by_kind_;
  std::int64_t end_ = 0;
};

void CheckRatio(std::int64_t block_tokens, std::int64_t ratio, const char* what) {
  if (ratio <= 0 || block_tokens % ratio != 0) {
    throw Error(fmt::format(
        "KV block_tokens {} must be a positive multiple of the {} ratio {} (a compressed entry "
        "must not straddle two blocks)",
        block_tokens, what, ratio));
  }
}

LayerKvLayout MakeLayer(const models::Architecture& arch, const models::CacheFormat& format,
                        AttentionKind kind) {
  LayerKvLayout l;
  l.kind = kind;
  if (!IsV4(kind)) {
    l.token_entry_bytes = models::KvEntryBytes(arch, kind, format.kv);
    if (kind == AttentionKind::kDsa) {
      l.indexer_key_bytes = models::IndexerKeyBytes(arch, format.indexer_keys);
      l.tokens_per_indexer_key = 1;
    }
    return l;
  }
  const std::int64_t hd = arch.v4.head_dim;
  const std::int64_t ihd = arch.indexer.head_dim;
  l.head_dim = hd;
  l.window_entry_bytes = models::KvEntryBytes(arch, kind, format.kv);
  if (kind == AttentionKind::kCsa) {
    l.indexer_head_dim = ihd;
    l.compressed_entry_bytes = l.window_entry_bytes;
    l.tokens_per_compressed = arch.v4.csa_ratio_tokens;
    l.indexer_key_bytes = models::IndexerKeyBytes(arch, format.indexer_keys);
    l.tokens_per_indexer_key = arch.v4.csa_ratio_tokens;
    // Two overlapping accumulators (current, next) for the main and the indexer compressor.
    l.compressor_state_bytes = 4 * (2 * 3 * hd + 2 * 3 * ihd);
    l.carry_snapshot_bytes = 4 * (3 * hd + 3 * ihd);
  } else if (kind == AttentionKind::kHca) {
    l.compressed_entry_bytes = l.window_entry_bytes;
    l.tokens_per_compressed = arch.v4.hca_ratio_tokens;
    l.compressor_state_bytes = 4 * 3 * hd;
  }
  return l;
}

}  // namespace

std::string_view ToString(KvKind kind) {
  switch (kind) {
    case KvKind::kTokens:
      return "tokens";
    case KvKind::kCompressed:
      return "compressed";
    case KvKind::kIndexerKeys:
      return "indexer_keys";
    case KvKind::kWindow:
      return "window";
    case KvKind::kCompressorState:
      return "compressor_state";
  }
  return "?";
}

KvLayout MakeKvLayout(const models::Architecture& arch, const models::CacheFormat& format,
                      std::int64_t block_tokens) {
  if (block_tokens <= 0) {
    throw Error(fmt::format("KV block_tokens must be positive, got {}", block_tokens));
  }
  KvLayout layout;
  layout.block_tokens = block_tokens;
  layout.format = format;
  const bool v4 = arch.Uses(AttentionKind::kSwa) || arch.Uses(AttentionKind::kCsa) ||
                  arch.Uses(AttentionKind::kHca);
  if (v4) {
    layout.window_tokens = arch.v4.sliding_window_tokens;
    if (block_tokens < layout.window_tokens) {
      // A position's window then spans at most two blocks, and a block's end holds a whole
      // window, which is what resuming from a prefix-cache hit needs.
      throw Error(fmt::format("KV block_tokens {} must be at least the sliding window of {} tokens",
                              block_tokens, layout.window_tokens));
    }
    if (arch.Uses(AttentionKind::kCsa)) CheckRatio(block_tokens, arch.v4.csa_ratio_tokens, "CSA");
    if (arch.Uses(AttentionKind::kHca)) CheckRatio(block_tokens, arch.v4.hca_ratio_tokens, "HCA");
  }

  RegionPacker persistent(layout.persistent_bytes_by_kind);
  RegionPacker window(layout.window_bytes_by_kind);
  RegionPacker state(nullptr);
  for (const auto& spec : arch.layers) {
    LayerKvLayout l = MakeLayer(arch, format, spec.attention);
    l.tokens_offset = persistent.Place(block_tokens * l.token_entry_bytes, KvKind::kTokens);
    if (l.tokens_per_compressed > 0) {
      l.compressed_offset = persistent.Place(
          block_tokens / l.tokens_per_compressed * l.compressed_entry_bytes, KvKind::kCompressed);
    }
    if (l.tokens_per_indexer_key > 0) {
      l.indexer_offset = persistent.Place(
          block_tokens / l.tokens_per_indexer_key * l.indexer_key_bytes, KvKind::kIndexerKeys);
    }
    l.window_offset = window.Place(block_tokens * l.window_entry_bytes, KvKind::kWindow);
    l.carry_offset = window.Place(l.carry_snapshot_bytes, KvKind::kCompressorState);
    l.state_offset = state.Place(l.compressor_state_bytes, KvKind::kCompressorState);
    layout.layers.push_back(l);
  }
  layout.persistent_block_bytes = persistent.end();
  layout.window_block_bytes = window.end();
  layout.sequence_state_bytes = state.end();
  return layout;
}

}  // namespace infermeter::engines::reference
