#pragma once
// Several runs from one invocation: a sweep over request rates or concurrencies, and the
// max-goodput search (the highest rate whose good fraction stays at or above a target under the
// SLOs). Both only decide which points to run; the caller runs each point as its own run
// (RunBenchmark) in one run group, so every point keeps its full record.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "infermeter/core/ids.h"

namespace infermeter::harness {

enum class SweepParameter { kRate, kConcurrency };

struct SweepSpec {
  SweepParameter parameter = SweepParameter::kRate;
  std::vector<double> values;  // in the order given
};

// Parses "rate=1,2,4,8" (requests or sessions per second, > 0) or "concurrency=1,4,16"
// (integers >= 1). Throws InputError naming `option` and the bad item.
SweepSpec ParseSweep(const std::string& text, const std::string& option);
// "rate=4", "concurrency=16": a run's group_point.
std::string PointLabel(SweepParameter parameter, double value);

struct GoodputSearchSettings {
  double target_good_fraction = 0.9;  // of completed + failed requests
  double initial_rate_per_s = 1.0;
  double min_rate_per_s = 0.05;
  double max_rate_per_s = 256.0;
  // Bisection stops when the bracket [passing, failing] is this tight (failing/passing - 1).
  double relative_tolerance = 0.1;
  int max_points = 12;
};

// One measured point of the search.
struct GoodputPoint {
  double rate_per_s = 0;
  double good_fraction = 0;
  bool valid = false;  // the run was VALID; an invalid point never passes
  RunId run;
  bool passed = false;  // set by the search
};

struct GoodputSearchResult {
  std::optional<double> max_rate_per_s;  // the highest passing rate; empty when none passed
  std::vector<GoodputPoint> points;      // in the order measured
  std::string conclusion;                // one sentence saying what was found and how tight
};

// Brackets the answer by doubling (or halving) from the initial rate, then bisects
// geometrically. `measure` runs one point. Throws InputError for inconsistent settings.
GoodputSearchResult SearchMaxGoodput(const GoodputSearchSettings& settings,
                                     const std::function<GoodputPoint(double rate_per_s)>& measure);

}  // namespace infermeter::harness
