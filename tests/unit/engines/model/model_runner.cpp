#include "model_runner.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "infermeter/models/kv_cache.h"
#include "kv/kv_layout.h"
#include "model/weights.h"

namespace infermeter::engines::reference::testing {

std::vector<TokenId> MakeTokens(std::int64_t count, std::int64_t vocab, std::uint64_t seed) {
  std::vector<TokenId> out(static_cast<std::size_t>(count));
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (auto& t : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    t = static_cast<TokenId>(x % static_cast<std::uint64_t>(vocab));
  }
  return out;
}

ModelRunner::ModelRunner(const models::Architecture& arch, ModelWeights weights,
                         bool prefix_caching, std::optional<models::CacheFormat> format,
                         std::int64_t budget_bytes)
    : arch_(arch) {
  const KvLayout layout = MakeKvLayout(arch, format.value_or(models::DefaultCacheFormat(arch)));
  cache_ = std::make_unique<KvCache>(layout, budget_bytes, prefix_caching);
  model_ = std::make_unique<Model>(arch, std::move(weights), layout);
}

ModelRunner::ModelRunner(const models::Architecture& arch, std::uint64_t seed, bool prefix_caching)
    : ModelRunner(arch, MakeRandomWeights(arch, seed), prefix_caching) {}

std::int64_t ModelRunner::Admit(TestSequence& seq) {
  if (!cache_->Admit(seq.kv, seq.tokens)) throw std::runtime_error("admission failed");
  return seq.kv.written_tokens;
}

std::vector<float> ModelRunner::Step(const std::vector<TestSequence*>& seqs,
                                     const std::vector<std::int64_t>& counts,
                                     FlopsByOpClass* flops) {
  std::vector<ForwardSlice> slices;
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    TestSequence& s = *seqs[i];
    const std::int64_t start = s.kv.written_tokens;
    if (!cache_->Reserve(s.kv, start + counts[i])) throw std::runtime_error("reserve failed");
    slices.push_back({s.tokens, &s.kv, start, counts[i], true});
  }
  std::vector<float> logits;
  FlopsByOpClass local{};
  model_->Forward(slices, *cache_, logits, flops != nullptr ? *flops : local);
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    TestSequence& s = *seqs[i];
    cache_->Commit(s.kv, s.tokens, slices[i].start + counts[i]);
  }
  return logits;
}

std::vector<float> ModelRunner::Run(TestSequence& seq, const std::vector<std::int64_t>& chunks,
                                    FlopsByOpClass* last_flops) {
  Admit(seq);
  std::vector<float> logits;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    FlopsByOpClass flops{};
    logits = Step({&seq}, {chunks[i]}, &flops);
    if (last_flops != nullptr) *last_flops = flops;
  }
  return logits;
}

double RelativeError(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double diff = 0;
  double scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

}  // namespace infermeter::engines::reference::testing
