#pragma once
// KV-cache bytes: per cached entry for each cache format, per layer kind, per sequence.
// Byte layouts and their sources are in docs/COST_MODEL.md ("KV cache").

#include <cstdint>
#include <optional>
#include <string_view>

#include "infermeter/models/architecture.h"

namespace infermeter::models {

// How a main-attention cache entry is stored.
enum class KvFormat {
  kBf16,         // "bf16": every element in 2 bytes
  kFp8,          // "fp8": every element in 1 byte, per-tensor scale (SGLang/vLLM "fp8")
  kFlashMlaFp8,  // "flashmla-fp8": MLA only: kv_lora_rank FP8 + one fp32 scale per 128 +
                 // rope BF16 = 656 B for DeepSeek-V3/V3.2
  kV4Fp8,        // "v4-fp8": V4 only: NoPE FP8 + rope BF16 + one ue8m0 scale byte per 64
                 // NoPE elements + 1 pad byte = 584 B
};

// How a lightning-indexer key is stored.
enum class IndexerKeyFormat {
  kBf16,  // "bf16": 2 bytes per element (256 B at head_dim 128)
  kFp8,   // "fp8": FP8 + one fp32 scale per 128 elements (132 B)
  kFp4,   // "fp4": packed MXFP4, 2 elements per byte + one e8m0 scale per 32 (68 B) [inferred]
};

std::string_view ToString(KvFormat format);
std::string_view ToString(IndexerKeyFormat format);
std::optional<KvFormat> ParseKvFormat(std::string_view tag);
std::optional<IndexerKeyFormat> ParseIndexerKeyFormat(std::string_view tag);

struct CacheFormat {
  KvFormat kv = KvFormat::kBf16;
  IndexerKeyFormat indexer_keys = IndexerKeyFormat::kFp8;
};

// The documented default: GQA models BF16; MLA/DSA FlashMLA FP8 with FP8 indexer keys (as
// V3.2 is deployed); V4 584-byte entries with FP4 indexer keys (docs/COST_MODEL.md explains
// why this is the accounting DeepSeek's published ratios match).
CacheFormat DefaultCacheFormat(const Architecture& arch);

// Bytes of one main cache entry of a `kind` layer. Throws infermeter::Error when the format
// does not apply to that layer kind (flashmla-fp8 outside MLA/DSA, v4-fp8 outside V4).
std::int64_t KvEntryBytes(const Architecture& arch, AttentionKind kind, KvFormat format);
// Bytes of one indexer key.
std::int64_t IndexerKeyBytes(const Architecture& arch, IndexerKeyFormat format);

// Entries a `kind` layer holds for one sequence of `context_tokens` tokens: every token
// (gqa, mla, dsa); and for V4 the sliding-window ring min(L, window) plus floor(L/4) (csa) or
// floor(L/128) (hca) compressed entries. Indexer keys: L (dsa), floor(L/4) (csa).
std::int64_t CachedEntries(const Architecture& arch, AttentionKind kind,
                           std::int64_t context_tokens);
std::int64_t CachedIndexerKeys(const Architecture& arch, AttentionKind kind,
                               std::int64_t context_tokens);

struct KvBytes {
  std::int64_t main_bytes = 0;     // main attention entries
  std::int64_t indexer_bytes = 0;  // indexer keys
  std::int64_t Total() const { return main_bytes + indexer_bytes; }
};

// One layer, one sequence at context L.
KvBytes LayerKvBytes(const Architecture& arch, AttentionKind kind, std::int64_t context_tokens,
                     const CacheFormat& format);
// All layers, one sequence at context L (MTP layers not included).
KvBytes SequenceKvBytes(const Architecture& arch, std::int64_t context_tokens,
                        const CacheFormat& format);
// Bytes a `kind` layer adds per context token in the long-context limit: entry bytes divided
// by tokens per entry; the bounded sliding-window ring adds nothing.
double LayerKvBytesPerToken(const Architecture& arch, AttentionKind kind,
                            const CacheFormat& format);
// The same summed over all layers.
double KvBytesPerToken(const Architecture& arch, const CacheFormat& format);

}  // namespace infermeter::models
