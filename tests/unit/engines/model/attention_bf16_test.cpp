// The shared attention kernel (RunAttention) on each kernel level against a double-precision
// softmax(q.k * scale) * v with a sink: the BF16 path (VDPBF16PS, where the CPU has it) within
// BF16 rounding, the FP32 AVX-512 and portable paths within FP32 rounding, and the paths against
// each other. Dimensions are not multiples of 32 and key counts cross the 256-key chunks and
// leave odd tiles, so padding, tails and the chunk merge are all exercised.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "kernels/cpu_features.h"
#include "model/attention_core.h"

namespace infermeter::engines::reference {
namespace {

struct Case {
  HeadLayout hl;
  std::vector<float> q;            // queries x heads x q_dim
  std::vector<float> rows;         // keys x row_floats
  std::vector<float> sinks;        // heads
  std::vector<std::int64_t> keys;  // per query
};

// Two kv groups of separate keys and values, or (shared) one group whose values are the
// leading v_dim floats of its keys, as V4's shared KV and MLA's latent are.
Case MakeCase(bool shared) {
  Case c;
  HeadLayout& hl = c.hl;
  hl.groups = shared ? 1 : 2;
  hl.heads_per_group = 8;
  hl.q_dim = 80;
  hl.v_dim = 48;
  hl.key_offset = 0;
  hl.key_group_stride = hl.q_dim;
  hl.value_offset = shared ? 0 : 2 * hl.q_dim;
  hl.value_group_stride = shared ? hl.key_group_stride : hl.v_dim;
  hl.row_floats = shared ? hl.q_dim : 2 * (hl.q_dim + hl.v_dim);
  hl.scale = 1.0f / std::sqrt(static_cast<float>(hl.q_dim));
  c.keys = {1, 7, 33, 256, 301, 600};
  const std::int64_t max_keys = 600;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  c.q.resize(c.keys.size() * static_cast<std::size_t>(hl.heads() * hl.q_dim));
  c.rows.resize(static_cast<std::size_t>(max_keys * hl.row_floats));
  c.sinks.resize(static_cast<std::size_t>(hl.heads()));
  for (float& x : c.q) x = 2.0f * normal(rng);  // peaked softmax: errors are not averaged away
  for (float& x : c.rows) x = normal(rng);
  for (float& x : c.sinks) x = normal(rng);
  return c;
}

std::vector<float> RunCase(const Case& c) {
  const HeadLayout& hl = c.hl;
  const std::int64_t width = hl.heads() * hl.q_dim;
  const std::int64_t out_width = hl.heads() * hl.v_dim;
  std::vector<float> out(c.keys.size() * static_cast<std::size_t>(out_width));
  std::vector<AttentionQuery> queries;
  for (std::size_t i = 0; i < c.keys.size(); ++i) {
    queries.push_back({c.q.data() + static_cast<std::int64_t>(i) * width,
                       out.data() + static_cast<std::int64_t>(i) * out_width, c.keys[i]});
  }
  AttentionScratch scratch;
  const auto fetch = [&](std::int64_t, std::int64_t first, std::int64_t n, float*,
                         const float** rows) {
    for (std::int64_t j = 0; j < n; ++j) rows[j] = c.rows.data() + (first + j) * hl.row_floats;
  };
  RunAttention(hl, hl.q_dim, hl.v_dim, std::span<const AttentionQuery>(queries), c.sinks.data(),
               fetch, scratch);
  return out;
}

std::vector<double> Reference(const Case& c) {
  const HeadLayout& hl = c.hl;
  std::vector<double> out;
  for (std::size_t i = 0; i < c.keys.size(); ++i) {
    for (std::int64_t h = 0; h < hl.heads(); ++h) {
      const std::int64_t g = h / hl.heads_per_group;
      const float* q = c.q.data() + (static_cast<std::int64_t>(i) * hl.heads() + h) * hl.q_dim;
      std::vector<double> s(static_cast<std::size_t>(c.keys[i]));
      double max = c.sinks[static_cast<std::size_t>(h)];
      for (std::int64_t j = 0; j < c.keys[i]; ++j) {
        const float* k =
            c.rows.data() + j * hl.row_floats + hl.key_offset + g * hl.key_group_stride;
        double dot = 0;
        for (std::int64_t d = 0; d < hl.q_dim; ++d) dot += static_cast<double>(q[d]) * k[d];
        s[static_cast<std::size_t>(j)] = dot * hl.scale;
        max = std::max(max, s[static_cast<std::size_t>(j)]);
      }
      double denom = std::exp(c.sinks[static_cast<std::size_t>(h)] - max);
      std::vector<double> o(static_cast<std::size_t>(hl.v_dim), 0.0);
      for (std::int64_t j = 0; j < c.keys[i]; ++j) {
        const double p = std::exp(s[static_cast<std::size_t>(j)] - max);
        denom += p;
        const float* v =
            c.rows.data() + j * hl.row_floats + hl.value_offset + g * hl.value_group_stride;
        for (std::int64_t d = 0; d < hl.v_dim; ++d) o[static_cast<std::size_t>(d)] += p * v[d];
      }
      for (double x : o) out.push_back(x / denom);
    }
  }
  return out;
}

// Largest |a - b| over all outputs.
template <class A, class B>
double MaxDiff(const A& a, const B& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
  }
  return worst;
}

class AttentionBf16Test : public ::testing::Test {
 protected:
  void TearDown() override { LimitKernelIsa(DetectedKernelIsa()); }
};

// Outputs are weighted means of unit-normal values. BF16 inputs carry a relative error of
// 2^-9 each; through scores of magnitude ~10 (peaked softmax) that is ~2% of a probability
// at worst, hence 3e-2. FP32 paths: 1e-4.
constexpr double kBf16Tolerance = 3e-2;
constexpr double kFp32Tolerance = 1e-4;

class AttentionPathsTest : public AttentionBf16Test, public ::testing::WithParamInterface<bool> {};

TEST_P(AttentionPathsTest, EveryPathMatchesDoublePrecision) {
  const Case c = MakeCase(GetParam());
  const std::vector<double> ref = Reference(c);

  LimitKernelIsa(KernelIsa::kScalar);
  const std::vector<float> scalar = RunCase(c);
  EXPECT_LT(MaxDiff(scalar, ref), kFp32Tolerance);

  LimitKernelIsa(KernelIsa::kAvx512);
  ASSERT_FALSE(UseBf16Attention(c.hl.heads_per_group));  // the internal switch the test sets
  const std::vector<float> fp32 = RunCase(c);
  EXPECT_LT(MaxDiff(fp32, ref), kFp32Tolerance);

  LimitKernelIsa(DetectedKernelIsa());
  if (DetectedKernelIsa() < KernelIsa::kAvx512Bf16) GTEST_SKIP() << "no AVX512_BF16";
  ASSERT_TRUE(UseBf16Attention(c.hl.heads_per_group));
  const std::vector<float> bf16 = RunCase(c);
  const double bf16_error = MaxDiff(bf16, ref);
  EXPECT_LT(bf16_error, kBf16Tolerance);
  EXPECT_GT(bf16_error, 0.0);  // the BF16 kernels really ran
  EXPECT_LT(MaxDiff(bf16, fp32), kBf16Tolerance);
}

INSTANTIATE_TEST_SUITE_P(SeparateAndSharedValues, AttentionPathsTest, ::testing::Bool());

// The indexer's score (sum_h w_h * ReLU(q_h . k)) on BF16 inputs against FP32 and double.
TEST_F(AttentionBf16Test, IndexerTileBf16MatchesFp32) {
  if (DetectedKernelIsa() < KernelIsa::kAvx512Bf16) GTEST_SKIP() << "no AVX512_BF16";
  constexpr std::int64_t kHeads = 12;  // a block of 8 and one of 4
  constexpr std::int64_t kDim = 64;
  constexpr std::int64_t kKeys = 45;  // a full 32-key block and a partial one
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> q(kHeads * kDim), keys(kKeys * kDim), w(kHeads);
  for (float& x : q) x = normal(rng);
  for (float& x : keys) x = normal(rng);
  for (float& x : w) x = normal(rng);
  std::vector<Bf16> qb(q.size()), kb(keys.size());
  PackRowsBf16(q.data(), kDim, kHeads, kDim, qb.data());
  PackRowsBf16(keys.data(), kDim, kKeys, kDim, kb.data());
  std::vector<float> fp32(kKeys), bf16(kKeys);
  IndexerTile(q.data(), kHeads, kDim, w.data(), keys.data(), kKeys, fp32.data());
  IndexerTileBf16(qb.data(), kHeads, kDim, w.data(), kb.data(), kKeys, bf16.data());
  for (std::int64_t j = 0; j < kKeys; ++j) {
    double want = 0;
    double scale = 0;  // sum of |terms|: the size BF16 rounding is relative to
    for (std::int64_t h = 0; h < kHeads; ++h) {
      double dot = 0;
      double mag = 0;
      for (std::int64_t i = 0; i < kDim; ++i) {
        dot += static_cast<double>(q[static_cast<std::size_t>(h * kDim + i)]) *
               keys[static_cast<std::size_t>(j * kDim + i)];
        mag += std::abs(static_cast<double>(q[static_cast<std::size_t>(h * kDim + i)]) *
                        keys[static_cast<std::size_t>(j * kDim + i)]);
      }
      want += w[static_cast<std::size_t>(h)] * std::max(0.0, dot);
      scale += std::abs(w[static_cast<std::size_t>(h)]) * mag;
    }
    const auto at = static_cast<std::size_t>(j);
    EXPECT_NEAR(fp32[at], want, 1e-5 * scale);
    EXPECT_NEAR(bf16[at], want, 8e-3 * scale);  // two inputs each within 2^-9
  }
}

TEST_F(AttentionBf16Test, SoftmaxTileMatchesStdExp) {
  std::vector<float> s(32);
  for (int j = 0; j < 32; ++j) s[static_cast<std::size_t>(j)] = -0.37f * static_cast<float>(j);
  for (const std::int64_t n : {1, 5, 16, 17, 32}) {
    for (const KernelIsa isa : {KernelIsa::kScalar, DetectedKernelIsa()}) {
      LimitKernelIsa(isa);
      std::vector<float> t = s;
      float m = -1.0f;
      float l = 2.0f;
      const float c = SoftmaxTile(t.data(), n, &m, &l);
      EXPECT_FLOAT_EQ(m, 0.0f);
      EXPECT_NEAR(c, std::exp(-1.0), 1e-6);
      double sum = 0;
      for (std::int64_t j = 0; j < n; ++j) {
        const double want = std::exp(static_cast<double>(s[static_cast<std::size_t>(j)]));
        EXPECT_NEAR(t[static_cast<std::size_t>(j)], want, 4e-7 * want);
        sum += want;
      }
      EXPECT_NEAR(l, 2.0 * std::exp(-1.0) + sum, 1e-5);
      if (n < 32) {  // scores past the tile are left alone
        EXPECT_EQ(t[static_cast<std::size_t>(n)], s[static_cast<std::size_t>(n)]);
      }
    }
  }
}

}  // namespace
}  // namespace infermeter::engines::reference
