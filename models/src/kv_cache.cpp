#include "infermeter/models/kv_cache.h"

#include <algorithm>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "shapes.h"

namespace infermeter::models {
namespace {

constexpr std::pair<KvFormat, std::string_view> kKvTags[] = {
    {KvFormat::kBf16, "bf16"},
    {KvFormat::kFp8, "fp8"},
    {KvFormat::kFlashMlaFp8, "flashmla-fp8"},
    {KvFormat::kV4Fp8, "v4-fp8"}};
constexpr std::pair<IndexerKeyFormat, std::string_view> kIndexerTags[] = {
    {IndexerKeyFormat::kBf16, "bf16"},
    {IndexerKeyFormat::kFp8, "fp8"},
    {IndexerKeyFormat::kFp4, "fp4"}};

bool IsMla(AttentionKind kind) {
  return kind == AttentionKind::kMla || kind == AttentionKind::kDsa;
}
bool IsV4(AttentionKind kind) {
  return kind == AttentionKind::kSwa || kind == AttentionKind::kCsa || kind == AttentionKind::kHca;
}

// Elements in one main cache entry.
std::int64_t EntryElements(const Architecture& a, AttentionKind kind) {
  if (kind == AttentionKind::kGqa) return 2 * a.gqa.num_kv_heads * a.gqa.head_dim;  // K and V
  if (IsMla(kind)) return a.mla.kv_lora_rank + a.mla.qk_rope_head_dim;
  return a.v4.head_dim;  // one vector serves as K and V
}

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace

std::string_view ToString(KvFormat format) {
  for (const auto& [f, tag] : kKvTags) {
    if (f == format) return tag;
  }
  return "?";
}

std::string_view ToString(IndexerKeyFormat format) {
  for (const auto& [f, tag] : kIndexerTags) {
    if (f == format) return tag;
  }
  return "?";
}

std::optional<KvFormat> ParseKvFormat(std::string_view tag) {
  for (const auto& [f, t] : kKvTags) {
    if (t == tag) return f;
  }
  return std::nullopt;
}

std::optional<IndexerKeyFormat> ParseIndexerKeyFormat(std::string_view tag) {
  for (const auto& [f, t] : kIndexerTags) {
    if (t == tag) return f;
  }
  return std::nullopt;
}

CacheFormat DefaultCacheFormat(const Architecture& a) {
  if (a.Uses(AttentionKind::kSwa) || a.Uses(AttentionKind::kCsa) || a.Uses(AttentionKind::kHca)) {
    return {KvFormat::kV4Fp8, IndexerKeyFormat::kFp4};
  }
  if (a.Uses(AttentionKind::kMla) || a.Uses(AttentionKind::kDsa)) {
    return {KvFormat::kFlashMlaFp8, IndexerKeyFormat::kFp8};
  }
  return {KvFormat::kBf16, IndexerKeyFormat::kFp8};
}

std::int64_t KvEntryBytes(const Architecture& a, AttentionKind kind, KvFormat format) {
  const std::int64_t elements = EntryElements(a, kind);
  switch (format) {
    case KvFormat::kBf16:
      return 2 * elements;
    case KvFormat::kFp8:
      return elements;
    case KvFormat::kFlashMlaFp8:
      if (!IsMla(kind)) {
        throw Error(fmt::format("KV format flashmla-fp8 applies to mla/dsa layers, not {}",
                                ToString(kind)));
      }
      // Latent in FP8 with one fp32 scale per 128 elements, rope part kept in BF16.
      return a.mla.kv_lora_rank + 4 * CeilDiv(a.mla.kv_lora_rank, 128) + 2 * a.mla.qk_rope_head_dim;
    case KvFormat::kV4Fp8: {
      if (!IsV4(kind)) {
        throw Error(
            fmt::format("KV format v4-fp8 applies to swa/csa/hca layers, not {}", ToString(kind)));
      }
      // NoPE part in FP8 with one ue8m0 scale byte per 64, rope part in BF16, 1 pad byte.
      const std::int64_t nope = a.v4.head_dim - a.v4.rope_head_dim;
      return nope + 2 * a.v4.rope_head_dim + CeilDiv(nope, 64) + 1;
    }
  }
  return 0;
}

std::int64_t IndexerKeyBytes(const Architecture& a, IndexerKeyFormat format) {
  const std::int64_t d = a.indexer.head_dim;
  switch (format) {
    case IndexerKeyFormat::kBf16:
      return 2 * d;
    case IndexerKeyFormat::kFp8:
      return d + 4 * CeilDiv(d, 128);
    case IndexerKeyFormat::kFp4:
      return CeilDiv(d, 2) + CeilDiv(d, 32);
  }
  return 0;
}

std::int64_t CachedEntries(const Architecture& a, AttentionKind kind, std::int64_t context) {
  if (!IsV4(kind)) return context;
  const std::int64_t ring = std::min(context, a.v4.sliding_window_tokens);
  const std::int64_t ratio = detail::CompressRatio(a, kind);
  return ring + (ratio > 0 ? context / ratio : 0);
}

std::int64_t CachedIndexerKeys(const Architecture& a, AttentionKind kind, std::int64_t context) {
  if (kind == AttentionKind::kDsa) return context;
  if (kind == AttentionKind::kCsa) return context / a.v4.csa_ratio_tokens;
  return 0;
}

KvBytes LayerKvBytes(const Architecture& a, AttentionKind kind, std::int64_t context,
                     const CacheFormat& format) {
  KvBytes bytes;
  bytes.main_bytes = CachedEntries(a, kind, context) * KvEntryBytes(a, kind, format.kv);
  if (const std::int64_t keys = CachedIndexerKeys(a, kind, context); keys > 0) {
    bytes.indexer_bytes = keys * IndexerKeyBytes(a, format.indexer_keys);
  }
  return bytes;
}

KvBytes SequenceKvBytes(const Architecture& a, std::int64_t context, const CacheFormat& format) {
  KvBytes total;
  for (const auto& layer : a.layers) {
    const KvBytes one = LayerKvBytes(a, layer.attention, context, format);
    total.main_bytes += one.main_bytes;
    total.indexer_bytes += one.indexer_bytes;
  }
  return total;
}

double LayerKvBytesPerToken(const Architecture& a, AttentionKind kind, const CacheFormat& format) {
  const double entry = static_cast<double>(KvEntryBytes(a, kind, format.kv));
  double bytes = 0;
  if (!IsV4(kind)) {
    bytes = entry;
  } else if (const std::int64_t ratio = detail::CompressRatio(a, kind); ratio > 0) {
    bytes = entry / static_cast<double>(ratio);
  }
  if (kind == AttentionKind::kDsa) {
    bytes += static_cast<double>(IndexerKeyBytes(a, format.indexer_keys));
  } else if (kind == AttentionKind::kCsa) {
    bytes += static_cast<double>(IndexerKeyBytes(a, format.indexer_keys)) /
             static_cast<double>(a.v4.csa_ratio_tokens);
  }
  return bytes;
}

double KvBytesPerToken(const Architecture& a, const CacheFormat& format) {
  double total = 0;
  for (const auto& layer : a.layers) total += LayerKvBytesPerToken(a, layer.attention, format);
  return total;
}

}  // namespace infermeter::models
