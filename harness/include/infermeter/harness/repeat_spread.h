#pragma once
// The spread of each summary figure over repeated runs of one configuration (`infermeter run
// --repeat N`): how much a figure moves when nothing but the run changes. The coefficient of
// variation says whether a difference between two hardware setups is larger than that noise.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "infermeter/results/records.h"

namespace infermeter::harness {

struct FigureSpread {
  std::string unit;          // as stored
  std::int64_t runs = 0;     // runs that have the figure
  double mean = 0;           //
  double stddev = 0;         // sample standard deviation (n − 1); 0 for one run
  std::optional<double> cv;  // stddev / |mean|; nullopt when the mean is 0
  double min = 0, max = 0;
};

// The spread of one figure's values (at least one).
FigureSpread SpreadOf(const std::vector<double>& values, std::string unit = {});

// Per figure name, over the runs that store it; `runs` holds each run's run_metrics rows.
std::map<std::string, FigureSpread> SpreadOverRuns(
    const std::vector<std::vector<results::RunMetric>>& runs);

}  // namespace infermeter::harness
