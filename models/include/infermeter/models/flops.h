#pragma once
// FLOPs of a forward pass, split by op class, per layer and in total. A multiply-add counts
// as 2 FLOPs. docs/COST_MODEL.md gives every formula; the reference engine counts the same
// shapes and must agree with these functions to within 1%.
//
// Positions: a token that can see `visible_tokens` tokens (itself and every earlier one) is
// the visible_tokens-th token of its sequence. Decode "at context L" is the step whose new
// token sees L tokens. A causal prefill of L tokens sums the per-token cost over
// visible_tokens = 1..L (so dense attention counts L(L+1)/2 query-key pairs, not L^2).

#include <cstddef>
#include <cstdint>
#include <memory>

#include "infermeter/models/architecture.h"

namespace infermeter::models {

// Multi-head latent attention runs in one of two equivalent forms. Decode uses the absorbed
// form (attention over the 576-wide latent, FlashMLA); dense-MLA prefill uses the expanded
// form (192-wide q/k, 128-wide v). DSA layers use the absorbed form in both phases.
enum class Phase { kPrefill, kDecode };

struct FlopsByClass {
  double dense_gemm_flops = 0;   // non-expert weight matmuls: attention projections, dense
                                 // FFNs, MoE routers, the LM head
  double expert_gemm_flops = 0;  // routed (top-k) and shared expert matmuls
  double attention_flops = 0;    // main attention scores (QK) and values (PV)
  double indexer_flops = 0;      // lightning indexer: its projections, key compressor, scores
  double compressor_flops = 0;   // V4 KV compressors: projections and block pooling
  double other_flops = 0;        // V4 mHC mixing

  double Total() const;
  FlopsByClass& operator+=(const FlopsByClass& other);
  FlopsByClass Scaled(double factor) const;
};

// Keys the main attention of a `kind` layer reads for one query that sees `visible_tokens`
// tokens: all of them (gqa, mla), min(t, top_k) (dsa), min(t, window) (swa),
// min(top_k, floor(t/4)) + min(t, window) (csa), floor(t/128) + min(t, window) (hca).
std::int64_t AttendedKeys(const Architecture& arch, AttentionKind kind,
                          std::int64_t visible_tokens);
// Keys the lightning indexer scores for that query: t (dsa), floor(t/4) (csa), else 0.
std::int64_t IndexerKeys(const Architecture& arch, AttentionKind kind, std::int64_t visible_tokens);
// Sums of the two over visible_tokens = 1..prompt_tokens (closed forms).
std::int64_t SumAttendedKeys(const Architecture& arch, AttentionKind kind,
                             std::int64_t prompt_tokens);
std::int64_t SumIndexerKeys(const Architecture& arch, AttentionKind kind,
                            std::int64_t prompt_tokens);

// One token through decoder layer `layer_index` (attention block and FFN). A V4 compressor's
// block pooling is counted on the token that completes a block (visible_tokens % ratio == 0).
// REQUIRES: 0 <= layer_index < arch.layers.size(), visible_tokens >= 1.
FlopsByClass LayerTokenFlops(const Architecture& arch, std::size_t layer_index,
                             std::int64_t visible_tokens, Phase phase);
// A causal prefill of `prompt_tokens` tokens through one layer: the sum of LayerTokenFlops
// over visible_tokens = 1..prompt_tokens, in closed form.
FlopsByClass LayerPrefillFlops(const Architecture& arch, std::size_t layer_index,
                               std::int64_t prompt_tokens);
// The LM head for one token (2 * hidden * vocab). Decode runs it for every token; prefill
// only for the last prompt token.
FlopsByClass LmHeadFlops(const Architecture& arch);

// One decode step of one sequence at context L: every layer plus the LM head.
FlopsByClass DecodeFlopsPerToken(const Architecture& arch, std::int64_t context_tokens);
// A decode step of `batch` sequences all at context L (batch x the per-token cost).
FlopsByClass DecodeStepFlops(const Architecture& arch, std::int64_t context_tokens,
                             std::int64_t batch);
// Prefill of `batch` prompts of `prompt_tokens` each: every layer, plus one LM head per prompt.
FlopsByClass PrefillFlops(const Architecture& arch, std::int64_t prompt_tokens,
                          std::int64_t batch = 1);

// Every layer (no LM head) for the tokens at positions first_visible..last_visible of one
// sequence in `phase`: the sum of LayerTokenFlops over those positions, in closed form. Zero when
// the range is empty.
FlopsByClass TokenRangeFlops(const Architecture& arch, std::int64_t first_visible,
                             std::int64_t last_visible, Phase phase);

// What one request costs: the prefill of its uncached prompt tokens (positions cached+1 ..
// prompt, with one LM head for the last), then output_tokens - 1 decode steps at positions
// prompt+1 .. prompt+output_tokens-1, each with its LM head. The first output token comes out of
// the prefill and the last one is never fed back, so a request that produced no token is
// counted as nothing (an engine that failed it mid-prefill did work this cannot see). Prompt
// tokens recomputed after a preemption are not counted either.
// Dense MLA: a prefill from position 0 runs in the expanded form, one that continues a cached
// prefix in the absorbed form, as the reference engine does (FlashMLA-style; vLLM instead
// up-projects the cached latents). The whole uncached prompt is taken as one slice: an engine
// that splits a dense-MLA prefill into chunks runs the later chunks absorbed, which this
// does not see.
// REQUIRES: 0 <= cached_tokens < prompt_tokens, output_tokens >= 0.
FlopsByClass RequestFlops(const Architecture& arch, std::int64_t prompt_tokens,
                          std::int64_t cached_tokens, std::int64_t output_tokens);

// TokenRangeFlops and RequestFlops for many requests of one architecture: the per-layer terms
// are worked out once, not on every call (pricing every chunk of a million stored requests).
class FlopsCalculator {
 public:
  explicit FlopsCalculator(Architecture arch);
  ~FlopsCalculator();
  FlopsCalculator(FlopsCalculator&&) noexcept;

  FlopsByClass TokenRange(std::int64_t first_visible, std::int64_t last_visible, Phase phase) const;
  FlopsByClass Request(std::int64_t prompt_tokens, std::int64_t cached_tokens,
                       std::int64_t output_tokens) const;
  const FlopsByClass& LmHead() const { return lm_head_; }
  const Architecture& architecture() const { return arch_; }

 private:
  struct Table;
  Architecture arch_;
  std::unique_ptr<Table> table_;
  FlopsByClass lm_head_;
};

}  // namespace infermeter::models
