// MatMul against a double-precision reference, on both kernels (GEMV and oneDNN) and every
// instruction set the GEMV has, for shapes that leave every kind of tail, with row strides and
// accumulation. Both kernels round activations to BF16, so the reference does too: what is left
// is FP32 summation error, which the tolerance bounds.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "kernels/bf16.h"
#include "kernels/cpu_features.h"
#include "kernels/gemm.h"

namespace infermeter::engines::reference {
namespace {

// Deterministic values in [-1, 1).
std::vector<float> Random(std::size_t n, std::uint32_t seed) {
  std::vector<float> v(n);
  std::uint32_t state = seed * 2654435761u + 1;
  for (float& x : v) {
    state = state * 1664525u + 1013904223u;
    x = static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  return v;
}

Bf16Matrix RandomMatrix(std::int64_t n, std::int64_t k, std::uint32_t seed) {
  const std::vector<float> values = Random(static_cast<std::size_t>(n * k), seed);
  std::vector<Bf16> bf16(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) bf16[i] = ToBf16(values[i]);
  return Bf16Matrix(n, k, std::move(bf16));
}

struct Case {
  std::int64_t m, n, k;
  std::int64_t ldx_pad = 0, ldy_pad = 0;
  bool accumulate = false;
};

constexpr float kSentinel = 12345.0f;

// Runs MatMulVia and compares with the reference; padding between rows must stay untouched.
void Check(MatMulPath path, const Case& c, std::uint32_t seed) {
  SCOPED_TRACE(fmt::format("M={} N={} K={} ldx+{} ldy+{} accumulate={}", c.m, c.n, c.k, c.ldx_pad,
                           c.ldy_pad, c.accumulate));
  const std::int64_t ldx = c.k + c.ldx_pad;
  const std::int64_t ldy = c.n + c.ldy_pad;
  const Bf16Matrix w = RandomMatrix(c.n, c.k, seed);
  const std::vector<float> x = Random(static_cast<std::size_t>(c.m * ldx), seed + 1);
  std::vector<float> y(static_cast<std::size_t>(c.m * ldy), kSentinel);
  const std::vector<float> y0 = Random(y.size(), seed + 2);
  for (std::int64_t i = 0; i < c.m; ++i) {
    for (std::int64_t j = 0; j < c.n; ++j) y[i * ldy + j] = y0[i * ldy + j];
  }
  MatMulVia(path, x.data(), c.m, ldx, w, y.data(), ldy, c.accumulate);

  for (std::int64_t i = 0; i < c.m; ++i) {
    for (std::int64_t j = 0; j < c.n; ++j) {
      double sum = 0;
      double magnitude = 0;
      for (std::int64_t l = 0; l < c.k; ++l) {
        const double product = static_cast<double>(ToFloat(w.data()[j * c.k + l])) *
                               static_cast<double>(ToFloat(ToBf16(x[i * ldx + l])));
        sum += product;
        magnitude += std::fabs(product);
      }
      const double start = c.accumulate ? y0[i * ldy + j] : 0.0;
      const double tolerance = 1e-5 * magnitude + 1e-6 * std::fabs(start) + 1e-7;
      ASSERT_NEAR(y[i * ldy + j], start + sum, tolerance) << "row " << i << " col " << j;
    }
    for (std::int64_t j = c.n; j < ldy; ++j) ASSERT_EQ(y[i * ldy + j], kSentinel) << "padding";
  }
}

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = [] {
    std::vector<Case> all;
    const std::tuple<std::int64_t, std::int64_t> shapes[] = {{1, 1},     {37, 53},    {130, 300},
                                                             {515, 129}, {1000, 259}, {17, 1000}};
    for (std::int64_t m : {1, 2, 3, 7, 64, 300}) {
      for (const auto& [n, k] : shapes) {
        all.push_back({m, n, k});
        all.push_back({m, n, k, 5, 3, true});
      }
    }
    return all;
  }();
  return cases;
}

TEST(MatMul, OneDnnMatchesReference) {
  std::uint32_t seed = 1;
  for (const Case& c : Cases()) Check(MatMulPath::kOneDnn, c, seed++);
}

TEST(MatMul, AutoMatchesReference) {
  std::uint32_t seed = 100;
  for (const Case& c : Cases()) Check(MatMulPath::kAuto, c, seed++);
}

TEST(MatMul, OneDnnSplitsLargeM) {
  // Above 4096 rows the activations are converted in chunks; 4100 = 4096 + 4.
  Check(MatMulPath::kOneDnn, {4100, 20, 24, 1, 2, true}, 7);
  Check(MatMulPath::kOneDnn, {4100, 20, 24}, 8);
}

class Gemv : public testing::TestWithParam<KernelIsa> {
 protected:
  void SetUp() override {
    if (GetParam() > DetectedKernelIsa()) GTEST_SKIP() << "CPU lacks " << ToString(GetParam());
    LimitKernelIsa(GetParam());
  }
  void TearDown() override { LimitKernelIsa(DetectedKernelIsa()); }
};

TEST_P(Gemv, MatchesReference) {
  std::uint32_t seed = 200;
  for (const Case& c : Cases()) {
    if (GetParam() == KernelIsa::kScalar && c.m > 7) continue;  // slow; 1..7 covers every pass
    Check(MatMulPath::kGemv, c, seed++);
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, Gemv,
                         testing::Values(KernelIsa::kScalar, KernelIsa::kAvx512,
                                         KernelIsa::kAvx512Bf16),
                         [](const auto& info) { return std::string(ToString(info.param)); });

TEST(MatMul, BothPathsAgree) {
  // Same BF16 products on both paths: results differ only by summation order.
  const Bf16Matrix w = RandomMatrix(300, 700, 3);
  const std::vector<float> x = Random(3 * 700, 4);
  std::vector<float> a(3 * 300);
  std::vector<float> b(3 * 300);
  MatMulVia(MatMulPath::kGemv, x.data(), 3, 700, w, a.data(), 300, false);
  MatMulVia(MatMulPath::kOneDnn, x.data(), 3, 700, w, b.data(), 300, false);
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 5e-4) << i;
}

TEST(MatMul, ShortFormAndZeroRows) {
  const Bf16Matrix w = RandomMatrix(5, 4, 9);
  const std::vector<float> x = {1, 0, 0, 0};
  std::vector<float> y(5, kSentinel);
  MatMul(x.data(), 1, w, y.data());
  for (int j = 0; j < 5; ++j) EXPECT_EQ(y[j], ToFloat(w.data()[j * 4])) << j;
  std::vector<float> untouched(5, kSentinel);
  MatMul(x.data(), 0, w, untouched.data());
  for (float v : untouched) EXPECT_EQ(v, kSentinel);
}

TEST(MatMul, ReportsOneDnnKernel) {
  const Bf16Matrix w = RandomMatrix(64, 64, 10);
  EXPECT_FALSE(MatMulOneDnnImpl(w).empty());
  EXPECT_TRUE(MatMulOneDnnImpl(Bf16Matrix()).empty());
  EXPECT_EQ(w.bytes(), 64 * 64 * 2);
}

TEST(MatMul, TwoThreadsAtOnce) {
  // Two engines may run their step threads together; each must get its own right answer.
  auto work = [](std::uint32_t seed, bool* ok) {
    const Bf16Matrix w = RandomMatrix(200, 150, seed);
    const std::vector<float> x = Random(100 * 150, seed + 1);
    std::vector<float> first(100 * 200);
    std::vector<float> again(first.size());
    MatMulVia(MatMulPath::kOneDnn, x.data(), 100, 150, w, first.data(), 200, false);
    *ok = true;
    for (int round = 0; round < 30; ++round) {
      MatMulVia(MatMulPath::kOneDnn, x.data(), 100, 150, w, again.data(), 200, false);
      *ok &= again == first;
      MatMulVia(MatMulPath::kGemv, x.data(), 2, 150, w, again.data(), 200, false);
    }
  };
  bool ok_a = false;
  bool ok_b = false;
  std::thread a(work, 21, &ok_a);
  std::thread b(work, 22, &ok_b);
  a.join();
  b.join();
  EXPECT_TRUE(ok_a);
  EXPECT_TRUE(ok_b);
}

// A row's output depends on its own activations only, never on how many rows share the call:
// a sequence must decode to the same bits alone or in a batch, and a prompt to the same bits
// in one prefill chunk or several.
void ExpectRowsIndependentOfM(MatMulPath path, std::int64_t n, std::int64_t k,
                              const std::vector<std::int64_t>& ms) {
  const Bf16Matrix w = RandomMatrix(n, k, 31);
  const std::int64_t most = *std::max_element(ms.begin(), ms.end());
  const std::vector<float> x = Random(static_cast<std::size_t>(most * k), 32);
  std::vector<float> alone(static_cast<std::size_t>(most * n));
  for (std::int64_t i = 0; i < most; ++i) {
    MatMulVia(path, x.data() + i * k, 1, k, w, alone.data() + i * n, n, false);
  }
  for (std::int64_t m : ms) {
    std::vector<float> together(static_cast<std::size_t>(m * n));
    MatMulVia(path, x.data(), m, k, w, together.data(), n, false);
    for (std::int64_t i = 0; i < m * n; ++i) {
      ASSERT_EQ(together[i], alone[i]) << "M=" << m << " row " << i / n << " col " << i % n;
    }
  }
}

TEST(MatMul, GemvRowsIndependentOfM) {
  ExpectRowsIndependentOfM(MatMulPath::kGemv, 300, 700, {2, 3, 4, 5, 9});
}

TEST(MatMul, OneDnnRowsIndependentOfM) {
  ExpectRowsIndependentOfM(MatMulPath::kOneDnn, 300, 700, {2, 7, 64, 65, 300});
}

TEST(MatMul, NeverRunsOneDnnReferenceKernel) {
  // Strided and accumulating outputs included: oneDNN 2.6 has no fast kernel for a strided
  // output with blocked weights, and its reference loop is hundreds of times slower.
  Check(MatMulPath::kOneDnn, {70, 300, 200, 3, 5, true}, 41);
  Check(MatMulPath::kOneDnn, {70, 300, 200, 3, 5, false}, 42);
  Check(MatMulPath::kOneDnn, {70, 300, 200}, 43);
  const std::set<std::string> kernels = MatMulOneDnnKernelsUsed();
  ASSERT_FALSE(kernels.empty());
  for (const std::string& kernel : kernels)
    EXPECT_EQ(kernel.rfind("ref", 0), std::string::npos) << kernel;
}

// A group gives every task exactly what MatMulVia gives it alone, whichever kernel it takes:
// tasks of assorted shapes, row counts, strides and accumulation, small enough to run on one
// thread and large enough that the team's shares cut through matrices.
TEST(MatMulGroup, MatchesSeparateCalls) {
  struct Spec {
    std::int64_t m, n, k, ldx_pad, ldy_pad;
    bool accumulate;
  };
  const std::vector<Spec> specs = {{1, 256, 512, 0, 0, false},  {2, 256, 512, 3, 1, true},
                                   {3, 37, 53, 0, 2, false},    {4, 515, 129, 1, 0, true},
                                   {1, 1000, 259, 0, 0, false}, {7, 130, 300, 0, 0, false},
                                   {1, 17, 1000, 0, 5, true}};
  for (MatMulPath path : {MatMulPath::kAuto, MatMulPath::kGemv}) {
    for (std::size_t count : {std::size_t{1}, std::size_t{3}, specs.size()}) {
      std::vector<Bf16Matrix> weights;
      std::vector<std::vector<float>> xs;
      std::vector<std::vector<float>> grouped;
      std::vector<std::vector<float>> separate;
      std::vector<MatMulTask> tasks;
      for (std::size_t i = 0; i < count; ++i) {
        const Spec& s = specs[i];
        const auto seed = static_cast<std::uint32_t>(50 + i);
        weights.push_back(RandomMatrix(s.n, s.k, seed));
        xs.push_back(Random(static_cast<std::size_t>(s.m * (s.k + s.ldx_pad)), seed + 100));
        grouped.push_back(Random(static_cast<std::size_t>(s.m * (s.n + s.ldy_pad)), seed + 200));
      }
      separate = grouped;
      for (std::size_t i = 0; i < count; ++i) {
        const Spec& s = specs[i];
        tasks.push_back({xs[i].data(), s.m, s.k + s.ldx_pad, &weights[i], grouped[i].data(),
                         s.n + s.ldy_pad, s.accumulate});
        MatMulVia(path, xs[i].data(), s.m, s.k + s.ldx_pad, weights[i], separate[i].data(),
                  s.n + s.ldy_pad, s.accumulate);
      }
      MatMulGroup(path, tasks);
      for (std::size_t i = 0; i < count; ++i) {
        ASSERT_EQ(grouped[i], separate[i]) << "task " << i << " of " << count;
      }
    }
  }
}

TEST(MatMul, RejectsShortStrides) {
  const Bf16Matrix w = RandomMatrix(8, 8, 11);
  std::vector<float> x(64);
  std::vector<float> y(64);
  EXPECT_ANY_THROW(MatMul(x.data(), 2, 4, w, y.data(), 8));
  EXPECT_ANY_THROW(MatMul(x.data(), 2, 8, w, y.data(), 4));
  EXPECT_ANY_THROW(Bf16Matrix(3, 3, std::vector<Bf16>(8)));
}

}  // namespace
}  // namespace infermeter::engines::reference
