#pragma once
// One request inside the reference engine: its tokens, its cache, where it is in its life.
// Owned by the scheduler; read by the model during a step; touched only by the step thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "infermeter/core/engine.h"
#include "kv/kv_cache.h"

namespace infermeter::engines::reference {

struct Sequence {
  enum class State { kWaiting, kRunning, kFinished };

  EngineRequest request;
  std::shared_ptr<ResponseSink> sink;
  // Prompt tokens, then every generated token. After a preemption the generated tokens are
  // recomputed like prompt tokens (vLLM's "recompute" preemption).
  std::vector<TokenId> tokens;
  std::int64_t prompt_tokens = 0;
  std::int64_t generated_tokens = 0;
  SequenceKv kv;  // kv.written_tokens = positions whose cache entries exist
  State state = State::kWaiting;
  std::int64_t admitted_order = 0;  // scheduler's admission counter (preempt newest first)
  std::int64_t preemptions = 0;
  std::int64_t cached_prompt_tokens = 0;  // from the prefix cache at first admission
  bool first_admission_done = false;
  std::int64_t submitted_ns = 0;        // when Submit was called (engine clock)
  std::int64_t first_scheduled_ns = 0;  // when it was first admitted to run
  std::mt19937_64 rng;

  // Positions still to run through the model before the next token can be sampled.
  std::int64_t PendingTokens() const {
    return static_cast<std::int64_t>(tokens.size()) - kv.written_tokens;
  }
  bool InPrefill() const { return PendingTokens() > 1; }
  std::optional<std::int64_t> QueueTimeNs() const {
    if (!first_admission_done) return std::nullopt;
    return first_scheduled_ns - submitted_ns;
  }
};

}  // namespace infermeter::engines::reference
