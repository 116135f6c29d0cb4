#pragma once
// The figure the benchmark tools report for repeated timings: the median (upper middle for an
// even count). These machines are noisy; a median with its range says more than a mean.

#include <algorithm>
#include <vector>

namespace infermeter::bench {

inline double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace infermeter::bench
