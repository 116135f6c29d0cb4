// One GQA layer against a naive double-precision forward pass written from the Llama
// definition: RMSNorm, q/k/v, rotate_half RoPE (theta 500000), causal softmax attention with
// 2 query heads per kv head, SwiGLU MLP, final norm and LM head. Keys and values are rounded to
// BF16 as the cache stores them; everything else is exact, so the remaining difference is the
// BF16 rounding of activations inside MatMul.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "model_runner.h"

namespace infermeter::engines::reference::testing {
namespace {

using Matrix = std::vector<std::vector<double>>;  // rows x cols

models::Architecture OneLayerLlama() {
  models::Architecture a;
  a.name = "gqa-1";
  a.model_type = "llama";
  a.hidden_size = 64;
  a.vocab_size = 50;
  a.num_heads = 4;
  a.max_position_embeddings = 4096;
  a.gqa = {.num_kv_heads = 2, .head_dim = 16};
  a.dense_intermediate_size = 96;
  a.layers = {{models::AttentionKind::kGqa, models::FfnKind::kDense}};
  return a;
}

Matrix Load(const ModelWeights& w, const std::string& name) {
  const Bf16Matrix& m = w.Matrix(name);
  Matrix out(static_cast<std::size_t>(m.rows()),
             std::vector<double>(static_cast<std::size_t>(m.cols())));
  for (std::int64_t r = 0; r < m.rows(); ++r) {
    for (std::int64_t c = 0; c < m.cols(); ++c) {
      out[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)] =
          ToFloat(m.data()[r * m.cols() + c]);
    }
  }
  return out;
}

std::vector<double> Apply(const Matrix& w, const std::vector<double>& x) {
  std::vector<double> y(w.size(), 0.0);
  for (std::size_t r = 0; r < w.size(); ++r) {
    for (std::size_t c = 0; c < x.size(); ++c) y[r] += w[r][c] * x[c];
  }
  return y;
}

std::vector<double> RmsNorm(const std::vector<double>& x, double eps) {
  double ms = 0;
  for (const double v : x) ms += v * v;
  ms /= static_cast<double>(x.size());
  std::vector<double> y(x);
  for (double& v : y) v /= std::sqrt(ms + eps);  // the norm weights are 1 in random weights
  return y;
}

void RotateHalf(double* x, std::size_t dims, std::int64_t position, double theta) {
  const std::size_t half = dims / 2;
  for (std::size_t i = 0; i < half; ++i) {
    const double angle = static_cast<double>(position) *
                         std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(dims));
    const double a = x[i];
    const double b = x[i + half];
    x[i] = a * std::cos(angle) - b * std::sin(angle);
    x[i + half] = a * std::sin(angle) + b * std::cos(angle);
  }
}

double Bf16Round(double v) { return ToFloat(ToBf16(static_cast<float>(v))); }

TEST(GqaReference, OneLayerMatchesNaiveDoubleForward) {
  const models::Architecture arch = OneLayerLlama();
  const ModelWeights weights = MakeRandomWeights(arch, 17);
  const std::vector<TokenId> tokens = MakeTokens(12, arch.vocab_size, 3);
  const std::size_t n = tokens.size();
  const std::size_t d = 64;
  const std::size_t heads = 4;
  const std::size_t kv_heads = 2;
  const std::size_t dh = 16;
  const double eps = 1e-5;
  const double theta = 500000.0;

  const Matrix embed = Load(weights, "model.embed_tokens.weight");
  const Matrix wq = Load(weights, "model.layers.0.self_attn.q_proj.weight");
  const Matrix wk = Load(weights, "model.layers.0.self_attn.k_proj.weight");
  const Matrix wv = Load(weights, "model.layers.0.self_attn.v_proj.weight");
  const Matrix wo = Load(weights, "model.layers.0.self_attn.o_proj.weight");
  const Matrix gate = Load(weights, "model.layers.0.mlp.gate_proj.weight");
  const Matrix up = Load(weights, "model.layers.0.mlp.up_proj.weight");
  const Matrix down = Load(weights, "model.layers.0.mlp.down_proj.weight");
  const Matrix head = Load(weights, "lm_head.weight");

  std::vector<std::vector<double>> h(n), q(n), k(n), v(n);
  for (std::size_t t = 0; t < n; ++t) {
    h[t] = embed[static_cast<std::size_t>(tokens[t])];
    const auto x = RmsNorm(h[t], eps);
    q[t] = Apply(wq, x);
    k[t] = Apply(wk, x);
    v[t] = Apply(wv, x);
    for (std::size_t hh = 0; hh < heads; ++hh)
      RotateHalf(&q[t][hh * dh], dh, static_cast<std::int64_t>(t), theta);
    for (std::size_t hh = 0; hh < kv_heads; ++hh)
      RotateHalf(&k[t][hh * dh], dh, static_cast<std::int64_t>(t), theta);
    for (auto& e : k[t]) e = Bf16Round(e);
    for (auto& e : v[t]) e = Bf16Round(e);
  }
  const std::size_t last = n - 1;
  std::vector<double> attn(heads * dh, 0.0);
  for (std::size_t hh = 0; hh < heads; ++hh) {
    const std::size_t g = hh / (heads / kv_heads);
    std::vector<double> scores(n);
    double top = -INFINITY;
    for (std::size_t j = 0; j <= last; ++j) {
      double s = 0;
      for (std::size_t i = 0; i < dh; ++i) s += q[last][hh * dh + i] * k[j][g * dh + i];
      scores[j] = s / std::sqrt(static_cast<double>(dh));
      top = std::max(top, scores[j]);
    }
    double sum = 0;
    for (std::size_t j = 0; j <= last; ++j) sum += scores[j] = std::exp(scores[j] - top);
    for (std::size_t j = 0; j <= last; ++j) {
      for (std::size_t i = 0; i < dh; ++i) attn[hh * dh + i] += scores[j] / sum * v[j][g * dh + i];
    }
  }
  std::vector<double> hidden = h[last];
  const auto o = Apply(wo, attn);
  for (std::size_t i = 0; i < d; ++i) hidden[i] += o[i];
  const auto x2 = RmsNorm(hidden, eps);
  const auto g = Apply(gate, x2);
  const auto u = Apply(up, x2);
  std::vector<double> act(g.size());
  for (std::size_t i = 0; i < g.size(); ++i) act[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
  const auto f = Apply(down, act);
  for (std::size_t i = 0; i < d; ++i) hidden[i] += f[i];
  const auto expected = Apply(head, RmsNorm(hidden, eps));

  ModelRunner runner(arch, MakeRandomWeights(arch, 17));
  TestSequence seq{tokens, {}};
  const auto got = runner.Run(seq, {static_cast<std::int64_t>(n)});
  const std::vector<float> want(expected.begin(), expected.end());
  EXPECT_LE(RelativeError(got, want), 1e-2);
  // The tolerance has teeth: the logits without the layer (embedding straight to the head) are
  // far further away.
  const auto skipped = Apply(head, RmsNorm(h[last], eps));
  EXPECT_GT(RelativeError(got, std::vector<float>(skipped.begin(), skipped.end())), 0.05);
}

}  // namespace
}  // namespace infermeter::engines::reference::testing
