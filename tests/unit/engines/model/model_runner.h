#pragma once
// Drives a Model the way the engine does: admit, reserve, Forward, commit, for tests.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "infermeter/core/engine.h"
#include "infermeter/models/architecture.h"
#include "infermeter/models/kv_cache.h"
#include "kv/kv_cache.h"
#include "model/model.h"

namespace infermeter::engines::reference::testing {

// Deterministic token ids in [0, vocab).
std::vector<TokenId> MakeTokens(std::int64_t count, std::int64_t vocab, std::uint64_t seed);

struct TestSequence {
  std::vector<TokenId> tokens;  // every token the sequence will run
  SequenceKv kv;
};

class ModelRunner {
 public:
  // The cache uses `format`, or the architecture's default format.
  ModelRunner(const models::Architecture& arch, ModelWeights weights, bool prefix_caching = false,
              std::optional<models::CacheFormat> format = std::nullopt,
              std::int64_t budget_bytes = std::int64_t{2} << 30);
  ModelRunner(const models::Architecture& arch, std::uint64_t seed, bool prefix_caching = false);

  // Admits `seq` (its tokens are its prompt) and returns the positions the prefix cache gave it.
  std::int64_t Admit(TestSequence& seq);
  // One step: runs the next counts[i] positions of seqs[i], all in one Forward, and returns the
  // logits of each sequence's last position in the step (rows of vocab_size).
  std::vector<float> Step(const std::vector<TestSequence*>& seqs,
                          const std::vector<std::int64_t>& counts, FlopsByOpClass* flops = nullptr);
  // Admits `seq` (fresh) and runs it in chunks of the given sizes; returns the last chunk's logits.
  std::vector<float> Run(TestSequence& seq, const std::vector<std::int64_t>& chunks,
                         FlopsByOpClass* last_flops = nullptr);
  void Release(TestSequence& seq) { cache_->Release(seq.kv); }

  Model& model() { return *model_; }
  KvCache& cache() { return *cache_; }
  const models::Architecture& arch() const { return arch_; }

 private:
  models::Architecture arch_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<Model> model_;
};

// max |a - b| / max |b|: the error relative to the logits' scale.
double RelativeError(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace infermeter::engines::reference::testing
