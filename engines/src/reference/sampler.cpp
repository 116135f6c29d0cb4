#include "sampler.h"

#include <algorithm>
#include <cmath>

namespace infermeter::engines::reference {

TokenId Sampler::Sample(std::span<const float> logits, const SamplingParams& params,
                        std::mt19937_64& rng) {
  if (params.temperature <= 0.0) {
    return static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }
  candidates_.clear();
  for (std::size_t i = 0; i < logits.size(); ++i) {
    candidates_.emplace_back(logits[i], static_cast<TokenId>(i));
  }
  std::size_t keep = candidates_.size();
  if (params.top_k > 0) keep = std::min<std::size_t>(keep, static_cast<std::size_t>(params.top_k));
  auto by_logit = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(keep),
                    candidates_.end(), by_logit);
  candidates_.resize(keep);

  // Probabilities at the temperature, in place of the logits.
  const double max_logit = candidates_.front().first;
  double sum = 0;
  for (auto& [value, id] : candidates_) {
    value = static_cast<float>(std::exp((value - max_logit) / params.temperature));
    sum += value;
  }
  if (params.top_p < 1.0) {
    double mass = 0;
    std::size_t cut = 0;
    while (cut < candidates_.size() && mass < params.top_p * sum) mass += candidates_[cut++].first;
    candidates_.resize(std::max<std::size_t>(cut, 1));
    sum = mass > 0 ? mass : candidates_.front().first;
  }
  double draw = std::uniform_real_distribution<double>(0.0, sum)(rng);
  for (const auto& [p, id] : candidates_) {
    draw -= p;
    if (draw <= 0) return id;
  }
  return candidates_.back().second;
}

}  // namespace infermeter::engines::reference
