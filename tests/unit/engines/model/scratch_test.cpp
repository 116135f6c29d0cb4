#include <gtest/gtest.h>
#include "infermeter/models/builtin.h"
#include "model_runner.h"
namespace infermeter::engines::reference::testing {
namespace {
double Err(const models::Architecture& arch, std::optional<models::CacheFormat> f, std::vector<std::int64_t> chunks) {
  std::int64_t total = 0; for (auto c : chunks) total += c;
  const auto tokens = MakeTokens(total, arch.vocab_size, 2);
  ModelRunner one(arch, MakeRandomWeights(arch, 3), false, f);
  TestSequence s1{tokens, {}};
  auto whole = one.Run(s1, {total});
  ModelRunner two(arch, MakeRandomWeights(arch, 3), false, f);
  TestSequence s2{tokens, {}};
  auto ch = two.Run(s2, chunks);
  return RelativeError(ch, whole);
}
TEST(Scratch, Numerics) {
  auto v3 = models::FindBuiltin("v3-mini").value();
  auto v3d = v3; v3d.layers.resize(2); for (auto& l : v3d.layers) l.ffn = models::FfnKind::kDense;
  models::CacheFormat bf16{models::KvFormat::kBf16, models::IndexerKeyFormat::kBf16};
  printf("v3 2 dense bf16 7/121/172: %g\n", Err(v3d, bf16, {7,121,172}));
  printf("v3 2 dense bf16 150/150: %g\n", Err(v3d, bf16, {150,150}));
  printf("v3 2 dense default: %g\n", Err(v3d, std::nullopt, {7,121,172}));
  auto v3m = v3; v3m.layers.resize(3);
  printf("v3 3 layers moe bf16: %g\n", Err(v3m, bf16, {7,121,172}));
  auto tiny = models::FindBuiltin("tiny").value();
  printf("tiny bf16: %g\n", Err(tiny, bf16, {7,121,172}));
  printf("tiny default: %g\n", Err(tiny, std::nullopt, {7,121,172}));
  printf("tiny default 150/150: %g\n", Err(tiny, std::nullopt, {150,150}));
  auto tinyd = tiny; for (auto& l : tinyd.layers) l.ffn = models::FfnKind::kMoe;
  printf("tiny no hash: %g\n", Err(tinyd, std::nullopt, {7,121,172}));
}
}
}
