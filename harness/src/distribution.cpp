// Exact order statistics by selection (std::nth_element), not sorting: a million-request run
// pools hundreds of millions of inter-token gaps, and a full sort of those takes ~10x longer
// than the handful of selections the reported percentiles need.

#include "infermeter/harness/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace infermeter::harness {
namespace {

// A reported percentile as the exact fraction num/den, so nearest ranks are integer arithmetic
// (0.999 * 1000 in doubles is not exactly 999). Ascending: each selection starts where the
// previous one ended.
struct Quantile {
  std::int64_t num;
  std::int64_t den;
  double Distribution::*field;
};
constexpr std::array<Quantile, 5> kQuantiles{{
    {50, 100, &Distribution::p50},
    {90, 100, &Distribution::p90},
    {95, 100, &Distribution::p95},
    {99, 100, &Distribution::p99},
    {999, 1000, &Distribution::p99_9},
}};

// 1-based nearest rank ceil(q * n): the smallest rank with at least q of the sample at or below.
std::int64_t NearestRank(std::int64_t n, const Quantile& q) {
  return (q.num * n + q.den - 1) / q.den;
}

bool ByValue(const WeightedValue& a, const WeightedValue& b) { return a.value < b.value; }

// Whether a cumulative weight reaches fraction q of `total` (multiplied out, so integer weights
// compare exactly).
bool Reaches(double cumulative, double total, const Quantile& q) {
  return cumulative * static_cast<double>(q.den) >= static_cast<double>(q.num) * total;
}

using WeightedIt = std::vector<WeightedValue>::iterator;

// Weighted quickselect: the element where the cumulative weight, in value order, first reaches
// fraction q of `total`. `below` is the weight of everything before `first` (all of which is <=
// every element of [first, last)); on return it is the weight before the returned element, and
// the range is partitioned around it, so the next (larger) quantile can start there.
WeightedIt SelectWeighted(WeightedIt first, WeightedIt last, double& below, double total,
                          const Quantile& q) {
  const double target = static_cast<double>(q.num) * total / static_cast<double>(q.den);
  double range_weight = total - below;
  while (last - first > 1) {
    // Pivot where the target would be if the range's weight were spread evenly: exact when all
    // weights are equal (one token per chunk), so usually one nth_element does it. Kept 1/16 of
    // the range away from its ends, so every round discards at least that much.
    const std::ptrdiff_t size = last - first;
    const double guess = std::ceil((target - below) / range_weight * static_cast<double>(size));
    const std::ptrdiff_t offset =
        std::clamp(static_cast<std::ptrdiff_t>(guess) - 1, size / 16, size - 1 - size / 16);
    const WeightedIt pivot = first + offset;
    std::nth_element(first, pivot, last, ByValue);
    double left = 0;
    for (WeightedIt it = first; it != pivot; ++it) left += it->weight;
    if (Reaches(below + left, total, q)) {  // reached before the pivot: the answer is left of it
      last = pivot;
      range_weight = left;
      continue;
    }
    below += left;
    // The pivot when it reaches the target, or when nothing is right of it (only possible
    // through rounding of non-integer weights).
    if (pivot + 1 == last || Reaches(below + pivot->weight, total, q)) return pivot;
    below += pivot->weight;
    range_weight -= left + pivot->weight;
    first = pivot + 1;
  }
  return first;
}

}  // namespace

Distribution Summarize(std::vector<double>& values) {
  Distribution d;
  if (values.empty()) return d;
  const auto n = static_cast<std::int64_t>(values.size());
  d.count = n;
  const auto [min, max] = std::minmax_element(values.begin(), values.end());
  d.min = *min;
  d.max = *max;
  double sum = 0;
  for (const double v : values) sum += v;
  d.mean = sum / static_cast<double>(n);
  // Two passes (mean first) rather than sum of squares: no cancellation for large means.
  double squares = 0;
  for (const double v : values) squares += (v - d.mean) * (v - d.mean);
  d.std = std::sqrt(squares / static_cast<double>(n));

  auto first = values.begin();
  for (const Quantile& q : kQuantiles) {
    const auto nth = values.begin() + (NearestRank(n, q) - 1);
    std::nth_element(first, nth, values.end());
    d.*q.field = *nth;
    first = nth;  // everything before is <= *nth, and later ranks are >= this one
  }
  return d;
}

Distribution SummarizeWeighted(std::vector<WeightedValue>& sample) {
  // Weight 0 means "counts as no values": drop them so they cannot be min, max or a percentile.
  std::erase_if(sample, [](const WeightedValue& v) { return !(v.weight > 0); });
  Distribution d;
  if (sample.empty()) return d;
  double total = 0, weighted_sum = 0;
  d.min = d.max = sample.front().value;
  for (const WeightedValue& v : sample) {
    total += v.weight;
    weighted_sum += v.weight * v.value;
    d.min = std::min(d.min, v.value);
    d.max = std::max(d.max, v.value);
  }
  d.count = std::llround(total);
  d.mean = weighted_sum / total;
  double squares = 0;
  for (const WeightedValue& v : sample)
    squares += v.weight * (v.value - d.mean) * (v.value - d.mean);
  d.std = std::sqrt(squares / total);

  WeightedIt first = sample.begin();
  double below = 0;
  for (const Quantile& q : kQuantiles) {
    first = SelectWeighted(first, sample.end(), below, total, q);
    d.*q.field = first->value;
  }
  return d;
}

Distribution SummarizeWeighted(std::vector<double> values, std::vector<double> weights) {
  if (values.size() != weights.size()) {
    throw std::invalid_argument("SummarizeWeighted: values and weights differ in length");
  }
  std::vector<WeightedValue> sample;
  sample.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) sample.push_back({values[i], weights[i]});
  return SummarizeWeighted(sample);
}

}  // namespace infermeter::harness
