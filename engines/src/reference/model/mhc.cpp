// V4 manifold-constrained hyper-connections (mHC): the residual is hc_mult streams of hidden
// width. Before each sub-block a learned mix of the RMS-normalised streams gives the
// sub-block's input (pre weights), how much of its output each stream takes (post weights) and
// a doubly stochastic stream-to-stream mix (comb, by Sinkhorn iterations), as in DeepSeek's
// hc_pre / hc_post / hc_split_sinkhorn. All of it counts as OpClass::kOther.
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "kernels/ops.h"
#include "model/layers.h"

namespace infermeter::engines::reference {
namespace {

// mixes = (fn * streams) / rms(streams), one row of `outputs` mixes per stream row.
void Mixes(const MhcWeights& w, const float* streams, std::int64_t rows, std::int64_t width,
           float eps, float* mixes, FlopsByOpClass& flops) {
  const std::int64_t outputs = w.fn->rows();
  Linear(streams, rows, width, *w.fn, mixes, outputs, OpClass::kOther, flops);
#pragma omp parallel for schedule(static) if (rows > 16)
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* s = streams + r * width;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (std::int64_t i = 0; i < width; ++i) sum += s[i] * s[i];
    const float inv = 1.0f / std::sqrt(sum / static_cast<float>(width) + eps);
    for (std::int64_t j = 0; j < outputs; ++j) mixes[r * outputs + j] *= inv;
  }
}

// x = sum_i pre_i * stream_i.
void Combine(const float* pre, const float* streams, std::int64_t n, std::int64_t d, float* x) {
  for (std::int64_t i = 0; i < d; ++i) x[i] = 0;
  for (std::int64_t s = 0; s < n; ++s) {
    const float p = pre[s];
    const float* src = streams + s * d;
#pragma omp simd
    for (std::int64_t i = 0; i < d; ++i) x[i] += p * src[i];
  }
}

}  // namespace

void MhcPre(LayerContext& c, const MhcWeights& w, const float* streams, float* x, float* post,
            float* comb) {
  const std::int64_t m = c.step.rows();
  const std::int64_t n = c.traits.hc_mult;
  const std::int64_t d = c.arch.hidden_size;
  const std::int64_t outputs = (2 + n) * n;
  const float eps = c.traits.hc_eps;
  const int iters = c.traits.hc_sinkhorn_iters;
  Workspace::Scope scope(c.ws);
  float* mixes = c.ws.Take(static_cast<std::size_t>(m * outputs));
  Mixes(w, streams, m, n * d, c.traits.norm_eps, mixes, c.flops);
#pragma omp parallel for schedule(static) if (m > 16)
  for (std::int64_t r = 0; r < m; ++r) {
    const float* mix = mixes + r * outputs;
    float pre[64];
    for (std::int64_t i = 0; i < n; ++i) {
      pre[i] = Sigmoid(mix[i] * w.scale[0] + w.base[i]) + eps;
      post[r * n + i] = 2.0f * Sigmoid(mix[n + i] * w.scale[1] + w.base[n + i]);
    }
    // comb: row softmax, then alternate column and row normalisation (Sinkhorn).
    float* cb = comb + r * n * n;
    for (std::int64_t i = 0; i < n; ++i) {
      float top = -INFINITY;
      for (std::int64_t j = 0; j < n; ++j) {
        cb[i * n + j] = mix[2 * n + i * n + j] * w.scale[2] + w.base[2 * n + i * n + j];
        top = std::max(top, cb[i * n + j]);
      }
      float sum = 0;
      for (std::int64_t j = 0; j < n; ++j) sum += cb[i * n + j] = std::exp(cb[i * n + j] - top);
      for (std::int64_t j = 0; j < n; ++j) cb[i * n + j] = cb[i * n + j] / sum + eps;
    }
    const auto normalise_columns = [cb, n, eps] {
      for (std::int64_t j = 0; j < n; ++j) {
        float sum = 0;
        for (std::int64_t i = 0; i < n; ++i) sum += cb[i * n + j];
        for (std::int64_t i = 0; i < n; ++i) cb[i * n + j] /= sum + eps;
      }
    };
    normalise_columns();
    for (int it = 1; it < iters; ++it) {
      for (std::int64_t i = 0; i < n; ++i) {
        float sum = 0;
        for (std::int64_t j = 0; j < n; ++j) sum += cb[i * n + j];
        for (std::int64_t j = 0; j < n; ++j) cb[i * n + j] /= sum + eps;
      }
      normalise_columns();
    }
    Combine(pre, streams + r * n * d, n, d, x + r * d);
  }
  // The pre mix: n multiply-adds per hidden element.
  AddFlops(c.flops, OpClass::kOther, 2.0 * static_cast<double>(m * n * d));
}

void MhcPost(LayerContext& c, const float* out, const float* post, const float* comb,
             float* streams) {
  const std::int64_t m = c.step.rows();
  const std::int64_t n = c.traits.hc_mult;
  const std::int64_t d = c.arch.hidden_size;
  c.attention.thread.Reserve(static_cast<std::size_t>(n * d));
  ThreadScratch& scratch = c.attention.thread;
#pragma omp parallel for schedule(static) if (m > 4)
  for (std::int64_t r = 0; r < m; ++r) {
    float* s = streams + r * n * d;
    float* old = scratch.Get(omp_get_thread_num());
    std::copy(s, s + n * d, old);
    const float* o = out + r * d;
    const float* cb = comb + r * n * n;
    for (std::int64_t j = 0; j < n; ++j) {
      float* dst = s + j * d;
      const float p = post[r * n + j];
#pragma omp simd
      for (std::int64_t i = 0; i < d; ++i) dst[i] = p * o[i];
      // stream_j += sum_i comb[i][j] * old stream_i (DeepSeek's hc_post sums over the first
      // index of comb).
      for (std::int64_t i = 0; i < n; ++i) {
        const float weight = cb[i * n + j];
        const float* src = old + i * d;
#pragma omp simd
        for (std::int64_t e = 0; e < d; ++e) dst[e] += weight * src[e];
      }
    }
  }
  // post (n per element) and comb (n * n per element) multiply-adds.
  AddFlops(c.flops, OpClass::kOther, 2.0 * static_cast<double>(m * d * (n + n * n)));
}

void MhcHead(const models::Architecture& arch, const ModelTraits& traits, const MhcWeights& w,
             const float* streams, std::int64_t rows, float* out, Workspace& ws,
             FlopsByOpClass& flops) {
  const std::int64_t n = traits.hc_mult;
  const std::int64_t d = arch.hidden_size;
  Workspace::Scope scope(ws);
  float* mixes = ws.Take(static_cast<std::size_t>(rows * n));
  Mixes(w, streams, rows, n * d, traits.norm_eps, mixes, flops);
  for (std::int64_t r = 0; r < rows; ++r) {
    float pre[64];
    for (std::int64_t i = 0; i < n; ++i) {
      pre[i] = Sigmoid(mixes[r * n + i] * w.scale[0] + w.base[i]) + traits.hc_eps;
    }
    Combine(pre, streams + r * n * d, n, d, out + r * d);
  }
  AddFlops(flops, OpClass::kOther, 2.0 * static_cast<double>(rows * n * d));
}

}  // namespace infermeter::engines::reference
