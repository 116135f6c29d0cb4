#pragma once
// In-flight requests over the run, as a step function, and the steady-state window found in it.

#include <cstdint>
#include <vector>

#include "infermeter/harness/metrics.h"

namespace infermeter::harness::detail {

// A request occupying the engine over [begin_ns, end_ns).
struct Interval {
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = 0;
};

struct InFlightFigures {
  std::vector<SeriesPoint> series;  // value from time_ns on; a point only where it changes
  double max = 0;
  double mean = 0;  // time-weighted over [start_ns, end_ns]
  // The longest window where in-flight >= 90% of `max` (the earliest among equals); empty
  // (begin == end) when nothing was in flight.
  std::int64_t steady_begin_ns = 0;
  std::int64_t steady_end_ns = 0;
};

// Sweep line over +1/−1 events, O(n log n). Intervals must lie within [start_ns, end_ns].
InFlightFigures ComputeInFlight(const std::vector<Interval>& intervals, std::int64_t start_ns,
                                std::int64_t end_ns);

}  // namespace infermeter::harness::detail
