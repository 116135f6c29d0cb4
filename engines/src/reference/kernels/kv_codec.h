#pragma once
// Byte layouts of cache entries, exactly as the research notes give them (docs/COST_MODEL.md,
// "KV cache"), so that the bytes the engine allocates are the bytes a real deployment would:
//   bf16          every element 2 bytes
//   fp8           every element 1 byte, FP8 e4m3, per-tensor scale 1.0
//   flashmla-fp8  MLA/DSA: kv_lora_rank FP8 e4m3 | one fp32 scale per 128 | rope part BF16 (656 B)
//   v4-fp8        V4: NoPE FP8 e4m3 | rope BF16 | one ue8m0 scale byte per 64 NoPE | 1 pad (584 B)
// Indexer keys: bf16; fp8 (FP8 e4m3 + one fp32 scale per 128, 132 B); fp4 (MXFP4 e2m1, two
// per byte, + one e8m0 scale per 32, 68 B).
// Element order of an entry: GQA = K of every kv head then V of every kv head; MLA/DSA = latent
// (kv_lora_rank) then rope key; V4 = the head_dim vector whose last rope_head_dim elements carry
// RoPE.

#include <cstdint>

#include "infermeter/models/architecture.h"
#include "infermeter/models/kv_cache.h"

namespace infermeter::engines::reference {

// FP8 e4m3 (OCP, max 448, saturating) and e2m1 scalar conversions, exposed for tests.
std::uint8_t EncodeFp8E4m3(float v);
float DecodeFp8E4m3(std::uint8_t v);

class EntryCodec {
 public:
  // Throws infermeter::Error when `format` does not apply to `kind` (as models::KvEntryBytes).
  EntryCodec(const models::Architecture& arch, models::AttentionKind kind, models::KvFormat format);
  std::int64_t bytes() const { return bytes_; }        // == models::KvEntryBytes(...)
  std::int64_t elements() const { return elements_; }  // floats in one entry
  void Encode(const float* values, std::uint8_t* out) const;
  void Decode(const std::uint8_t* in, float* values) const;

 private:
  models::KvFormat format_;
  std::int64_t elements_ = 0;
  std::int64_t rope_elements_ = 0;  // trailing elements kept in BF16 (mla: rope; v4: rope)
  std::int64_t bytes_ = 0;
};

class IndexerKeyCodec {
 public:
  IndexerKeyCodec(std::int64_t head_dim, models::IndexerKeyFormat format);
  std::int64_t bytes() const { return bytes_; }  // == models::IndexerKeyBytes(...)
  std::int64_t elements() const { return head_dim_; }
  void Encode(const float* values, std::uint8_t* out) const;
  void Decode(const std::uint8_t* in, float* values) const;

 private:
  models::IndexerKeyFormat format_;
  std::int64_t head_dim_ = 0;
  std::int64_t bytes_ = 0;
};

}  // namespace infermeter::engines::reference
