#pragma once
// Helpers shared by the KV cache and scheduler tests: architectures, prompts, and a stand-in
// for the model that reserves, "writes" and commits positions the way the engine does.

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "infermeter/models/builtin.h"
#include "kv/kv_cache.h"

namespace infermeter::engines::reference::testing {

inline models::Architecture Arch(const char* name) { return models::FindBuiltin(name).value(); }

inline KvLayout DefaultLayout(const char* name, std::int64_t block_tokens = 128) {
  const auto arch = Arch(name);
  return MakeKvLayout(arch, models::DefaultCacheFormat(arch), block_tokens);
}

// Deterministic token ids; different seeds give different prompts from the first token on.
inline std::vector<TokenId> Prompt(std::int64_t length, std::int32_t seed = 1) {
  std::vector<TokenId> ids(static_cast<std::size_t>(length));
  for (std::int64_t i = 0; i < length; ++i) {
    ids[static_cast<std::size_t>(i)] = static_cast<TokenId>((i * 7919 + seed * 104729) % 16000);
  }
  return ids;
}

// Runs positions [seq.written_tokens, tokens.size()) through "the model" in chunks: reserve,
// commit. Returns false when a reservation fails.
inline bool Prefill(KvCache& cache, SequenceKv& seq, std::span<const TokenId> tokens,
                    std::int64_t chunk) {
  while (seq.written_tokens < static_cast<std::int64_t>(tokens.size())) {
    const std::int64_t end = std::min<std::int64_t>(static_cast<std::int64_t>(tokens.size()),
                                                    seq.written_tokens + chunk);
    if (!cache.Reserve(seq, end)) return false;
    cache.Commit(seq, tokens, end);
  }
  return true;
}

// Invariants that must hold after every cache operation.
inline void ExpectConsistent(const KvCache& cache) {
  const KvCacheStats s = cache.Stats();
  EXPECT_LE(s.allocated_bytes, s.capacity_bytes);
  EXPECT_LE(s.used_bytes, s.allocated_bytes);
  EXPECT_LE(s.used_bytes, s.peak_used_bytes);
  for (const auto& kind : s.by_kind) {
    EXPECT_GE(kind.used_bytes, 0);
    EXPECT_LE(kind.used_bytes, kind.allocated_bytes);
    EXPECT_LE(kind.used_bytes, kind.peak_used_bytes);
  }
}

}  // namespace infermeter::engines::reference::testing
