// Feed-forward blocks: dense SwiGLU and mixture of experts (learned router or V4's hash
// routing), with the experts run as one MatMul each over the rows routed to them.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/ops.h"
#include "model/layers.h"
#include "model/moe.h"

namespace infermeter::engines::reference {
namespace {

// out = down(silu(gate x) * up x) for `rows` rows; SwiGLU clamped at `limit` when > 0.
void Mlp(const MlpWeights& w, const float* x, std::int64_t rows, std::int64_t ldx, float* out,
         float limit, OpClass op_class, MatMulPath path, Workspace& ws, FlopsByOpClass& flops) {
  if (rows == 0) return;
  Workspace::Scope scope(ws);
  const std::int64_t width = w.gate->rows();
  float* gate = ws.Take(static_cast<std::size_t>(rows * width));
  float* up = ws.Take(static_cast<std::size_t>(rows * width));
  Linear(x, rows, ldx, *w.gate, gate, width, op_class, flops, path);
  Linear(x, rows, ldx, *w.up, up, width, op_class, flops, path);
#pragma omp parallel for schedule(static) if (rows > 16)
  for (std::int64_t r = 0; r < rows; ++r) {
    SwiGlu(gate + r * width, up + r * width, width, limit, gate + r * width);
  }
  Linear(gate, rows, width, *w.down, out, w.down->rows(), op_class, flops, path);
}

float Score(RouterScoring scoring, float logit) {
  switch (scoring) {
    case RouterScoring::kSigmoid:
      return Sigmoid(logit);
    case RouterScoring::kSqrtSoftplus:
      return std::sqrt(Softplus(logit));
    case RouterScoring::kSoftmax:
      return logit;  // normalised over the row below
  }
  return logit;
}

}  // namespace

void DenseFfn(LayerContext& c, const float* x, float* out) {
  Mlp(c.w.dense, x, c.step.rows(), c.arch.hidden_size, out, 0.0f, OpClass::kDenseGemm,
      MatMulPath::kAuto, c.ws, c.flops);
}

void MoeFfn(LayerContext& c, const float* x, float* out) {
  RunMoe(c.arch, c.traits, c.w, c.step.row_token, x, c.step.rows(), out, c.ws, c.flops);
}

void RouteTokens(const models::Architecture& arch, const ModelTraits& traits, const LayerWeights& w,
                 std::span<const TokenId> tokens, const float* x, std::int64_t rows,
                 std::int32_t* experts, float* weights, Workspace& ws, FlopsByOpClass& flops) {
  const std::int64_t n_experts = arch.moe.num_routed_experts;
  const std::int64_t k = arch.moe.experts_per_token;
  if (w.router == nullptr) {
    // Hash routing (V4's first layers): experts from the token id, equal weights.
    const float each = traits.route_scale / static_cast<float>(k);
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto token = static_cast<std::size_t>(tokens[static_cast<std::size_t>(r)]);
      for (std::int64_t j = 0; j < k; ++j) {
        experts[r * k + j] =
            w.tid2eid[token * static_cast<std::size_t>(k) + static_cast<std::size_t>(j)];
        weights[r * k + j] = each;
      }
    }
    return;
  }
  Workspace::Scope scope(ws);
  float* logits = ws.Take(static_cast<std::size_t>(rows * n_experts));
  Linear(x, rows, arch.hidden_size, *w.router, logits, n_experts, OpClass::kDenseGemm, flops);
#pragma omp parallel for schedule(static) if (rows > 64)
  for (std::int64_t r = 0; r < rows; ++r) {
    float* scores = logits + r * n_experts;
    if (traits.scoring == RouterScoring::kSoftmax) {
      const float top = *std::max_element(scores, scores + n_experts);
      float sum = 0;
      for (std::int64_t e = 0; e < n_experts; ++e) sum += scores[e] = std::exp(scores[e] - top);
      for (std::int64_t e = 0; e < n_experts; ++e) scores[e] /= sum;
    } else {
      for (std::int64_t e = 0; e < n_experts; ++e) scores[e] = Score(traits.scoring, scores[e]);
    }
    // Top-k by score plus the selection bias (DeepSeek's correction bias picks, it does not
    // weigh); ties go to the lower expert id so the choice is deterministic.
    std::int32_t order[1024];
    std::int32_t* idx = order;
    std::vector<std::int32_t> heap_order;
    if (n_experts > 1024) {
      heap_order.resize(static_cast<std::size_t>(n_experts));
      idx = heap_order.data();
    }
    std::iota(idx, idx + n_experts, 0);
    const float* bias = w.router_bias;
    const auto select = [scores, bias](std::int32_t e) {
      return scores[e] + (bias != nullptr ? bias[e] : 0.0f);
    };
    std::partial_sort(idx, idx + k, idx + n_experts, [&](std::int32_t a, std::int32_t b) {
      const float sa = select(a);
      const float sb = select(b);
      return sa > sb || (sa == sb && a < b);
    });
    float sum = 0;
    for (std::int64_t j = 0; j < k; ++j) sum += scores[idx[j]];
    const float norm = sum > 0 ? traits.route_scale / sum : 0.0f;
    for (std::int64_t j = 0; j < k; ++j) {
      experts[r * k + j] = idx[j];
      weights[r * k + j] = scores[idx[j]] * norm;
    }
  }
}

void RunMoe(const models::Architecture& arch, const ModelTraits& traits, const LayerWeights& w,
            std::span<const TokenId> tokens, const float* x, std::int64_t rows, float* out,
            Workspace& ws, FlopsByOpClass& flops) {
  const std::int64_t d = arch.hidden_size;
  const std::int64_t n_experts = arch.moe.num_routed_experts;
  const std::int64_t k = arch.moe.experts_per_token;
  const std::int64_t slots = rows * k;
  Workspace::Scope scope(ws);
  auto* experts = ws.TakeAs<std::int32_t>(static_cast<std::size_t>(slots));
  float* weights = ws.Take(static_cast<std::size_t>(slots));
  RouteTokens(arch, traits, w, tokens, x, rows, experts, weights, ws, flops);

  // Dispatch: slots grouped by expert (counting sort, rows in order within an expert).
  auto* offsets = ws.TakeAs<std::int64_t>(static_cast<std::size_t>(n_experts + 1));
  std::fill(offsets, offsets + n_experts + 1, 0);
  for (std::int64_t s = 0; s < slots; ++s) ++offsets[experts[s] + 1];
  for (std::int64_t e = 0; e < n_experts; ++e) offsets[e + 1] += offsets[e];
  auto* fill = ws.TakeAs<std::int64_t>(static_cast<std::size_t>(n_experts));
  std::copy(offsets, offsets + n_experts, fill);
  auto* slot_at = ws.TakeAs<std::int64_t>(static_cast<std::size_t>(slots));     // grouped -> slot
  auto* grouped_of = ws.TakeAs<std::int64_t>(static_cast<std::size_t>(slots));  // slot -> grouped
  for (std::int64_t s = 0; s < slots; ++s) {
    const std::int64_t at = fill[experts[s]]++;
    slot_at[at] = s;
    grouped_of[s] = at;
  }
  float* gathered = ws.Take(static_cast<std::size_t>(slots * d));
  float* expert_out = ws.Take(static_cast<std::size_t>(slots * d));
#pragma omp parallel for schedule(static) if (slots > 64)
  for (std::int64_t i = 0; i < slots; ++i) {
    const float* src = x + (slot_at[i] / k) * d;
    std::copy(src, src + d, gathered + i * d);
  }
  // The kernel follows the step, not the routing: with more rows than MatMul gives its GEMV,
  // every expert runs through oneDNN however few rows it got, so a row's result never depends
  // on which other rows share its experts (chunked prefill and batching stay bit-identical).
  const MatMulPath path = rows > MatMulGemvMaxRows() ? MatMulPath::kOneDnn : MatMulPath::kGemv;
  for (std::int64_t e = 0; e < n_experts; ++e) {
    const std::int64_t n = offsets[e + 1] - offsets[e];
    Mlp(w.experts[static_cast<std::size_t>(e)], gathered + offsets[e] * d, n, d,
        expert_out + offsets[e] * d, traits.swiglu_limit, OpClass::kExpertGemm, path, ws, flops);
  }

  // Shared experts see every row (V4 does not clamp them); routed outputs are added on top in
  // slot order, so a row's sum never depends on the other rows of the step.
  if (w.shared.gate != nullptr) {
    Mlp(w.shared, x, rows, d, out, 0.0f, OpClass::kExpertGemm, MatMulPath::kAuto, ws, flops);
  } else {
    std::fill(out, out + rows * d, 0.0f);
  }
#pragma omp parallel for schedule(static) if (rows > 16)
  for (std::int64_t r = 0; r < rows; ++r) {
    float* o = out + r * d;
    for (std::int64_t j = 0; j < k; ++j) {
      const std::int64_t s = r * k + j;
      const float wgt = weights[s];
      const float* y = expert_out + grouped_of[s] * d;
      for (std::int64_t i = 0; i < d; ++i) o[i] += wgt * y[i];
    }
  }
}

}  // namespace infermeter::engines::reference
