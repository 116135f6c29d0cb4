#pragma once
// llama.cpp's `GET /slots`: one JSON object per slot (`id`, `n_ctx`, `is_processing`, and for a
// slot that has had a task `n_prompt_tokens` and `next_token.n_decoded`). llama.cpp builds since
// PR #13660 export no KV figures on /metrics; /slots is where they still are. A processing
// slot's tokens are its prompt plus what it decoded so far; an idle slot's cached prompt can be
// dropped at any time, so it counts as free, as vLLM and SGLang count evictable blocks.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "infermeter/collectors/server_metrics.h"

namespace infermeter::collectors {

struct LlamaSlots {
  std::int64_t slots = 0;
  std::int64_t processing = 0;
  std::int64_t context_tokens = 0;  // Σ n_ctx
  // Σ (n_prompt_tokens + n_decoded) over processing slots; empty when one of them does not say
  // (builds before `n_prompt_tokens` was added to /slots).
  std::optional<std::int64_t> used_tokens;
};

// Throws InputError naming `source` and the JSON path ("$[1].n_ctx") when the body is not an
// array of slot objects with a numeric `n_ctx` and a boolean `is_processing`.
LlamaSlots ParseLlamaSlots(std::string_view body, const std::string& source);

// Fills the KV figures /metrics left empty from /slots: kv_capacity_tokens (Σ n_ctx),
// kv_used_tokens and kv_usage_ratio (used / capacity), and running_requests (processing slots).
// Figures /metrics gave are kept. With a unified KV cache (`--kv-unified`) every slot's n_ctx is
// the whole cache, so the sum over-counts capacity; the figure's note says so when slots > 1.
void AddLlamaSlots(const LlamaSlots& slots, ServerMetrics& metrics);

}  // namespace infermeter::collectors
