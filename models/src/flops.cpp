#include "infermeter/models/flops.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "shapes.h"

namespace infermeter::models {
namespace {

using detail::CompressRatio;
using detail::CompressWindow;

// Sum over t = 1..n of min(t, cap).
std::int64_t SumMin(std::int64_t n, std::int64_t cap) {
  if (n <= cap) return n * (n + 1) / 2;
  return cap * (cap + 1) / 2 + (n - cap) * cap;
}

// Sum over t = 1..n of floor(t / m): q = floor(n / m) full steps, each value v in 1..q-1
// held for m positions, and q held for the last (n mod m) + 1 positions.
std::int64_t SumFloor(std::int64_t n, std::int64_t m) {
  const std::int64_t q = n / m;
  const std::int64_t r = n % m;
  return m * q * (q - 1) / 2 + q * (r + 1);
}

// Sum over t = 1..n of min(cap, floor(t / m)); floor(t / m) reaches cap at t = cap * m.
std::int64_t SumMinFloor(std::int64_t n, std::int64_t m, std::int64_t cap) {
  const std::int64_t reach = cap * m;
  if (n < reach) return SumFloor(n, m);
  return SumFloor(reach - 1, m) + (n - reach + 1) * cap;
}

// The cost of one layer broken into what does not depend on position and what scales with
// keys read or blocks completed; LayerTokenFlops and LayerPrefillFlops both price these terms.
struct LayerTerms {
  FlopsByClass per_token;
  double attention_per_key = 0;
  double indexer_per_key = 0;
  double compressor_per_block = 0;  // main compressor pooling, once per emitted entry
  double indexer_per_block = 0;     // indexer key-compressor pooling, once per emitted entry
  std::int64_t ratio = 0;           // tokens per emitted entry, 0 without a compressor
};

LayerTerms Terms(const Architecture& a, const LayerSpec& layer, Phase phase) {
  using namespace detail;
  const AttentionKind kind = layer.attention;
  const double h = static_cast<double>(a.num_heads);
  LayerTerms t;
  t.per_token.dense_gemm_flops = 2.0 * static_cast<double>(AttentionMatmulParams(a, kind));

  switch (kind) {
    case AttentionKind::kGqa:
      t.attention_per_key = 2.0 * h * a.gqa.head_dim * 2;  // QK and PV
      break;
    case AttentionKind::kMla:
    case AttentionKind::kDsa: {
      const auto& m = a.mla;
      const bool expanded = kind == AttentionKind::kMla && phase == Phase::kPrefill;
      t.attention_per_key =
          expanded ? 2.0 * h * (m.qk_nope_head_dim + m.qk_rope_head_dim) + 2.0 * h * m.v_head_dim
                   : 2.0 * h * (m.kv_lora_rank + m.qk_rope_head_dim) + 2.0 * h * m.kv_lora_rank;
      break;
    }
    case AttentionKind::kSwa:
    case AttentionKind::kCsa:
    case AttentionKind::kHca:
      t.attention_per_key = 2.0 * h * a.v4.head_dim * 2;  // K = V, one 512-wide vector
      break;
  }

  if (kind == AttentionKind::kDsa || kind == AttentionKind::kCsa) {
    const auto& i = a.indexer;
    t.per_token.indexer_flops = 2.0 * static_cast<double>(IndexerMatmulParams(a, kind));
    // I(t, s) = sum_j w_j * ReLU(q_j . k_s): a head_dim dot product and a weighted add per head.
    t.indexer_per_key = 2.0 * i.num_heads * i.head_dim + 2.0 * i.num_heads;
  }
  t.ratio = CompressRatio(a, kind);
  if (t.ratio > 0) {
    t.per_token.compressor_flops = 2.0 * static_cast<double>(CompressorMatmulParams(a, kind));
    // An entry is a weighted sum of the window's head_dim-wide projections.
    t.compressor_per_block = 2.0 * static_cast<double>(CompressWindow(a, kind) * a.v4.head_dim);
    if (kind == AttentionKind::kCsa) {
      t.indexer_per_block = 2.0 * static_cast<double>(CompressWindow(a, kind) * a.indexer.head_dim);
    }
  }
  if (const std::int64_t mhc = MhcMatmulParams(a); mhc > 0) {
    // hc_fn matmuls, then per sub-block the pre (n -> 1), post (1 -> n) and residual (n x n)
    // mixes of hidden-wide streams.
    const double n = static_cast<double>(a.v4.hc_mult);
    t.per_token.other_flops =
        2.0 * static_cast<double>(mhc) + 2 * 2.0 * a.hidden_size * (2 * n + n * n);
  }

  switch (layer.ffn) {
    case FfnKind::kDense:
      t.per_token.dense_gemm_flops += 2.0 * static_cast<double>(DenseFfnParams(a));
      break;
    case FfnKind::kMoe:
    case FfnKind::kHashMoe:
      t.per_token.dense_gemm_flops += 2.0 * static_cast<double>(RouterParams(a, layer.ffn));
      t.per_token.expert_gemm_flops =
          2.0 * static_cast<double>((a.moe.experts_per_token + a.moe.num_shared_experts) *
                                    ExpertParams(a));
      break;
  }
  return t;
}

}  // namespace

double FlopsByClass::Total() const {
  return dense_gemm_flops + expert_gemm_flops + attention_flops + indexer_flops + compressor_flops +
         other_flops;
}

FlopsByClass& FlopsByClass::operator+=(const FlopsByClass& o) {
  dense_gemm_flops += o.dense_gemm_flops;
  expert_gemm_flops += o.expert_gemm_flops;
  attention_flops += o.attention_flops;
  indexer_flops += o.indexer_flops;
  compressor_flops += o.compressor_flops;
  other_flops += o.other_flops;
  return *this;
}

FlopsByClass FlopsByClass::Scaled(double factor) const {
  return {dense_gemm_flops * factor, expert_gemm_flops * factor, attention_flops * factor,
          indexer_flops * factor,    compressor_flops * factor,  other_flops * factor};
}

std::int64_t AttendedKeys(const Architecture& a, AttentionKind kind, std::int64_t t) {
  const std::int64_t window = std::min(t, a.v4.sliding_window_tokens);
  switch (kind) {
    case AttentionKind::kGqa:
    case AttentionKind::kMla:
      return t;
    case AttentionKind::kDsa:
      return std::min(t, a.indexer.top_k);
    case AttentionKind::kSwa:
      return window;
    case AttentionKind::kCsa:
      return std::min(a.indexer.top_k, t / a.v4.csa_ratio_tokens) + window;
    case AttentionKind::kHca:
      return t / a.v4.hca_ratio_tokens + window;
  }
  return 0;
}

std::int64_t IndexerKeys(const Architecture& a, AttentionKind kind, std::int64_t t) {
  if (kind == AttentionKind::kDsa) return t;
  if (kind == AttentionKind::kCsa) return t / a.v4.csa_ratio_tokens;
  return 0;
}

std::int64_t SumAttendedKeys(const Architecture& a, AttentionKind kind, std::int64_t n) {
  const std::int64_t window = SumMin(n, a.v4.sliding_window_tokens);
  switch (kind) {
    case AttentionKind::kGqa:
    case AttentionKind::kMla:
      return n * (n + 1) / 2;
    case AttentionKind::kDsa:
      return SumMin(n, a.indexer.top_k);
    case AttentionKind::kSwa:
      return window;
    case AttentionKind::kCsa:
      return SumMinFloor(n, a.v4.csa_ratio_tokens, a.indexer.top_k) + window;
    case AttentionKind::kHca:
      return SumFloor(n, a.v4.hca_ratio_tokens) + window;
  }
  return 0;
}

std::int64_t SumIndexerKeys(const Architecture& a, AttentionKind kind, std::int64_t n) {
  if (kind == AttentionKind::kDsa) return n * (n + 1) / 2;
  if (kind == AttentionKind::kCsa) return SumFloor(n, a.v4.csa_ratio_tokens);
  return 0;
}

FlopsByClass LayerTokenFlops(const Architecture& a, std::size_t layer_index, std::int64_t t,
                             Phase phase) {
  const LayerSpec& layer = a.layers.at(layer_index);
  const LayerTerms terms = Terms(a, layer, phase);
  FlopsByClass f = terms.per_token;
  f.attention_flops +=
      terms.attention_per_key * static_cast<double>(AttendedKeys(a, layer.attention, t));
  f.indexer_flops +=
      terms.indexer_per_key * static_cast<double>(IndexerKeys(a, layer.attention, t));
  if (terms.ratio > 0 && t % terms.ratio == 0) {
    f.compressor_flops += terms.compressor_per_block;
    f.indexer_flops += terms.indexer_per_block;
  }
  return f;
}

// Sum of LayerTokenFlops(t, phase) over t = 1..n, in closed form.
FlopsByClass FirstTokensFlops(const Architecture& a, const LayerSpec& layer,
                              const LayerTerms& terms, std::int64_t n) {
  FlopsByClass f = terms.per_token.Scaled(static_cast<double>(n));
  f.attention_flops +=
      terms.attention_per_key * static_cast<double>(SumAttendedKeys(a, layer.attention, n));
  f.indexer_flops +=
      terms.indexer_per_key * static_cast<double>(SumIndexerKeys(a, layer.attention, n));
  if (terms.ratio > 0) {
    const double blocks = static_cast<double>(n / terms.ratio);
    f.compressor_flops += terms.compressor_per_block * blocks;
    f.indexer_flops += terms.indexer_per_block * blocks;
  }
  return f;
}

FlopsByClass LayerPrefillFlops(const Architecture& a, std::size_t layer_index, std::int64_t n) {
  const LayerSpec& layer = a.layers.at(layer_index);
  return FirstTokensFlops(a, layer, Terms(a, layer, Phase::kPrefill), n);
}

FlopsByClass LmHeadFlops(const Architecture& a) {
  FlopsByClass f;
  f.dense_gemm_flops = 2.0 * static_cast<double>(a.hidden_size * a.vocab_size);
  if (const std::int64_t head = detail::MhcHeadMatmulParams(a); head > 0) {
    // hc_head folds the n streams into one first: its [n, n*d] matmul and the weighted sum.
    f.other_flops = 2.0 * static_cast<double>(head + a.v4.hc_mult * a.hidden_size);
  }
  return f;
}

FlopsByClass DecodeFlopsPerToken(const Architecture& a, std::int64_t context_tokens) {
  FlopsByClass f = LmHeadFlops(a);
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    f += LayerTokenFlops(a, i, context_tokens, Phase::kDecode);
  }
  return f;
}

FlopsByClass DecodeStepFlops(const Architecture& a, std::int64_t context_tokens,
                             std::int64_t batch) {
  return DecodeFlopsPerToken(a, context_tokens).Scaled(static_cast<double>(batch));
}

FlopsByClass PrefillFlops(const Architecture& a, std::int64_t prompt_tokens, std::int64_t batch) {
  FlopsByClass f = LmHeadFlops(a);
  for (std::size_t i = 0; i < a.layers.size(); ++i) f += LayerPrefillFlops(a, i, prompt_tokens);
  return f.Scaled(static_cast<double>(batch));
}

struct FlopsCalculator::Table {
  std::vector<LayerTerms> prefill;  // per layer, in the expanded (prefill) form
  std::vector<LayerTerms> decode;   // per layer, in the absorbed (decode) form
};

FlopsCalculator::FlopsCalculator(Architecture arch)
    : arch_(std::move(arch)), table_(std::make_unique<Table>()), lm_head_(LmHeadFlops(arch_)) {
  for (const LayerSpec& layer : arch_.layers) {
    table_->prefill.push_back(Terms(arch_, layer, Phase::kPrefill));
    table_->decode.push_back(Terms(arch_, layer, Phase::kDecode));
  }
}

FlopsCalculator::~FlopsCalculator() = default;
FlopsCalculator::FlopsCalculator(FlopsCalculator&&) noexcept = default;

FlopsByClass FlopsCalculator::TokenRange(std::int64_t first_visible, std::int64_t last_visible,
                                         Phase phase) const {
  FlopsByClass f;
  if (last_visible < first_visible) return f;
  const auto& terms = phase == Phase::kPrefill ? table_->prefill : table_->decode;
  // Closed-form prefix sums: (1..last) - (1..first-1).
  for (std::size_t i = 0; i < arch_.layers.size(); ++i) {
    f += FirstTokensFlops(arch_, arch_.layers[i], terms[i], last_visible);
    if (first_visible > 1) {
      f += FirstTokensFlops(arch_, arch_.layers[i], terms[i], first_visible - 1).Scaled(-1);
    }
  }
  return f;
}

FlopsByClass FlopsCalculator::Request(std::int64_t prompt_tokens, std::int64_t cached_tokens,
                                      std::int64_t output_tokens) const {
  FlopsByClass f;
  if (output_tokens <= 0) return f;
  // A prefill that continues a cached prefix runs in the absorbed form (see the header).
  const Phase prefill = cached_tokens > 0 ? Phase::kDecode : Phase::kPrefill;
  f += TokenRange(cached_tokens + 1, prompt_tokens, prefill);
  f += TokenRange(prompt_tokens + 1, prompt_tokens + output_tokens - 1, Phase::kDecode);
  f += lm_head_.Scaled(static_cast<double>(output_tokens));
  return f;
}

FlopsByClass TokenRangeFlops(const Architecture& a, std::int64_t first_visible,
                             std::int64_t last_visible, Phase phase) {
  return FlopsCalculator(a).TokenRange(first_visible, last_visible, phase);
}

FlopsByClass RequestFlops(const Architecture& a, std::int64_t prompt_tokens,
                          std::int64_t cached_tokens, std::int64_t output_tokens) {
  return FlopsCalculator(a).Request(prompt_tokens, cached_tokens, output_tokens);
}

}  // namespace infermeter::models
