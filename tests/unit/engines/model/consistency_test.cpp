// The forward pass is a function of the tokens alone: the same seed gives the same logits,
// how a prompt is split into steps does not matter (the cache, compressor state and carry
// snapshots hold everything a later step needs), nor which other sequences share the step.

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>

#include "infermeter/models/builtin.h"
#include "model_runner.h"

namespace infermeter::engines::reference::testing {
namespace {

models::Architecture Preset(const char* name) { return models::FindBuiltin(name).value(); }

// v3.2-mini cut to 2 layers with a top-k small enough for short prompts to need a selection.
models::Architecture SmallTopKDsa() {
  models::Architecture a = Preset("v3.2-mini");
  a.name = "v3.2-mini-topk64";
  a.layers.resize(2);
  a.indexer.top_k = 64;
  return a;
}

std::vector<float> OneShot(const models::Architecture& arch, const std::vector<TokenId>& tokens,
                           std::uint64_t seed = 3) {
  ModelRunner runner(arch, seed);
  TestSequence seq{tokens, {}};
  return runner.Run(seq, {static_cast<std::int64_t>(tokens.size())});
}

TEST(ModelConsistency, SameSeedSameLogitsOtherSeedOthers) {
  const auto arch = Preset("tiny");
  const auto tokens = MakeTokens(40, arch.vocab_size, 1);
  const auto a = OneShot(arch, tokens, 5);
  const auto b = OneShot(arch, tokens, 5);
  const auto c = OneShot(arch, tokens, 6);
  ASSERT_EQ(a.size(), static_cast<std::size_t>(arch.vocab_size));
  EXPECT_EQ(a, b);
  EXPECT_GT(RelativeError(c, a), 0.05);
}

TEST(ModelConsistency, RandomWeightsDoNotDependOnThreadCount) {
  const auto arch = Preset("tiny");
  const int threads = omp_get_max_threads();
  const ModelWeights many = MakeRandomWeights(arch, 9);
  omp_set_num_threads(1);
  const ModelWeights one = MakeRandomWeights(arch, 9);
  omp_set_num_threads(threads);
  ASSERT_EQ(many.size(), one.size());
  for (const auto& [name, t] : many.tensors()) {
    const WeightTensor& u = one.Get(name);
    EXPECT_EQ(t.values, u.values) << name;
    EXPECT_EQ(t.indices, u.indices) << name;
    ASSERT_EQ(t.matrices.size(), u.matrices.size()) << name;
    for (std::size_t g = 0; g < t.matrices.size(); ++g) {
      const auto n = static_cast<std::size_t>(t.matrices[g].rows() * t.matrices[g].cols());
      EXPECT_TRUE(std::equal(t.matrices[g].data(), t.matrices[g].data() + n, u.matrices[g].data(),
                             [](Bf16 x, Bf16 y) { return x.bits == y.bits; }))
          << name;
    }
  }
}

void ExpectChunkedEqualsOneShot(const models::Architecture& arch,
                                const std::vector<std::int64_t>& chunks) {
  std::int64_t total = 0;
  for (const auto c : chunks) total += c;
  const auto tokens = MakeTokens(total, arch.vocab_size, 2);
  const auto whole = OneShot(arch, tokens);
  ModelRunner runner(arch, 3);
  TestSequence seq{tokens, {}};
  const auto chunked = runner.Run(seq, chunks);
  EXPECT_LE(RelativeError(chunked, whole), 1e-3) << arch.name;
}

// 7 + 121 ends exactly on the first cache block (128, a carry snapshot); 300 crosses CSA and
// HCA block ends (4, 128, 256) inside steps.
TEST(ModelConsistency, ChunkedPrefillEqualsOneShotV4) {
  ExpectChunkedEqualsOneShot(Preset("tiny"), {7, 121, 172});
  ExpectChunkedEqualsOneShot(Preset("tiny"), {1, 1, 1, 130, 3, 164});
}
TEST(ModelConsistency, ChunkedPrefillEqualsOneShotMla) {
  ExpectChunkedEqualsOneShot(Preset("v3-mini"), {7, 121, 172});
}
TEST(ModelConsistency, ChunkedPrefillEqualsOneShotDsa) {
  ExpectChunkedEqualsOneShot(SmallTopKDsa(), {7, 121, 172});
}
TEST(ModelConsistency, ChunkedPrefillEqualsOneShotGqa) {
  ExpectChunkedEqualsOneShot(Preset("llama-mini"), {7, 121, 172});
}

TEST(ModelConsistency, DecodeEqualsPrefill) {
  // Decoding token by token gives the logits of a prefill of the same tokens.
  const auto arch = Preset("tiny");
  const auto tokens = MakeTokens(140, arch.vocab_size, 4);
  const auto whole = OneShot(arch, tokens);
  std::vector<std::int64_t> chunks = {120};
  chunks.resize(21, 1);
  ModelRunner runner(arch, 3);
  TestSequence seq{tokens, {}};
  EXPECT_LE(RelativeError(runner.Run(seq, chunks), whole), 1e-3);
}

void ExpectBatchInvariant(const models::Architecture& arch) {
  ModelRunner runner(arch, 3);
  TestSequence a{MakeTokens(150, arch.vocab_size, 5), {}};
  TestSequence b{MakeTokens(90, arch.vocab_size, 6), {}};
  const auto alone_a = runner.Run(a, {150});
  const auto alone_b = runner.Run(b, {90});
  runner.Release(a);
  runner.Release(b);
  TestSequence a2{a.tokens, {}};
  TestSequence b2{b.tokens, {}};
  runner.Admit(a2);
  runner.Admit(b2);
  const auto both = runner.Step({&a2, &b2}, {150, 90});
  const auto v = static_cast<std::ptrdiff_t>(arch.vocab_size);
  EXPECT_LE(RelativeError(std::vector<float>(both.begin(), both.begin() + v), alone_a), 1e-4)
      << arch.name;
  EXPECT_LE(RelativeError(std::vector<float>(both.begin() + v, both.end()), alone_b), 1e-4)
      << arch.name;
}

TEST(ModelConsistency, BatchInvariance) {
  ExpectBatchInvariant(Preset("tiny"));
  ExpectBatchInvariant(Preset("v3-mini"));
  ExpectBatchInvariant(SmallTopKDsa());
  ExpectBatchInvariant(Preset("llama-mini"));
}

// A prefix-cache hit resumes a V4 sequence from a block's window part and carry snapshot,
// which the model wrote while running the first sequence; the result equals a fresh run.
TEST(ModelConsistency, V4PrefixCacheResumeEqualsFreshRun) {
  const auto arch = Preset("tiny");
  const auto first = MakeTokens(300, arch.vocab_size, 8);
  std::vector<TokenId> second(first.begin(), first.begin() + 260);
  const auto tail = MakeTokens(40, arch.vocab_size, 9);
  second.insert(second.end(), tail.begin(), tail.end());

  ModelRunner runner(arch, 3, /*prefix_caching=*/true);
  TestSequence a{first, {}};
  runner.Run(a, {300});
  runner.Release(a);
  TestSequence b{second, {}};
  const std::int64_t cached = runner.Admit(b);
  EXPECT_EQ(cached, 256);
  const auto resumed = runner.Step({&b}, {static_cast<std::int64_t>(second.size()) - cached});
  EXPECT_LE(RelativeError(resumed, OneShot(arch, second)), 1e-3);
}

}  // namespace
}  // namespace infermeter::engines::reference::testing
