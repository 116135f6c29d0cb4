#pragma once
// Picks the next token from one row of logits: greedy at temperature 0, otherwise softmax at the
// temperature restricted to the top_k most likely and then to the smallest set whose
// probability reaches top_p (the order vLLM applies them), drawn with the sequence's own
// generator so that the same seed gives the same tokens.

#include <random>
#include <span>
#include <vector>

#include "infermeter/core/engine.h"

namespace infermeter::engines::reference {

class Sampler {
 public:
  TokenId Sample(std::span<const float> logits, const SamplingParams& params, std::mt19937_64& rng);

 private:
  std::vector<std::pair<float, TokenId>> candidates_;  // reused between calls
};

}  // namespace infermeter::engines::reference
