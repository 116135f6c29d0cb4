#include "timeline.h"

#include <algorithm>
#include <utility>

namespace infermeter::harness::detail {
namespace {

// (time, +1 at a send / −1 at an end). Sorted by time with −1 first at equal times: intervals are
// half-open, so a request that ends as another starts is never counted twice.
using Event = std::pair<std::int64_t, int>;

std::vector<Event> SortedEvents(const std::vector<Interval>& intervals) {
  std::vector<Event> events;
  events.reserve(2 * intervals.size());
  for (const Interval& interval : intervals) {
    if (interval.end_ns <= interval.begin_ns) continue;  // never occupied the engine
    events.emplace_back(interval.begin_ns, +1);
    events.emplace_back(interval.end_ns, -1);
  }
  std::sort(events.begin(), events.end());
  return events;
}

// The step function, one point per distinct time where the count changes; also its maximum and
// its integral over time (request·ns).
void BuildSeries(const std::vector<Event>& events, std::int64_t end_ns, InFlightFigures& out,
                 double& area) {
  std::int64_t value = 0, max = 0;
  std::int64_t previous_ns = 0, previous_value = 0;
  for (std::size_t i = 0; i < events.size();) {
    const std::int64_t time_ns = events[i].first;
    while (i < events.size() && events[i].first == time_ns) value += events[i++].second;
    if (!out.series.empty()) {
      area += static_cast<double>(previous_value) * static_cast<double>(time_ns - previous_ns);
    }
    previous_ns = time_ns;
    previous_value = value;
    if (out.series.empty() || out.series.back().value != static_cast<double>(value)) {
      out.series.push_back({.time_ns = time_ns, .value = static_cast<double>(value)});
    }
    max = std::max(max, value);
  }
  if (!out.series.empty()) {
    area += static_cast<double>(previous_value) * static_cast<double>(end_ns - previous_ns);
  }
  out.max = static_cast<double>(max);
}

// Longest stretch of the series with value >= 90% of max (compared as value*10 >= max*9, exact).
void FindSteadyState(std::int64_t end_ns, InFlightFigures& out) {
  const auto max = static_cast<std::int64_t>(out.max);
  if (max == 0) return;
  const auto above = [max](double value) {
    return static_cast<std::int64_t>(value) * 10 >= max * 9;
  };
  bool inside = false;
  std::int64_t window_begin = 0, best_length = -1;
  const auto close = [&](std::int64_t window_end) {
    if (window_end - window_begin > best_length) {
      best_length = window_end - window_begin;
      out.steady_begin_ns = window_begin;
      out.steady_end_ns = window_end;
    }
  };
  for (const SeriesPoint& point : out.series) {
    if (above(point.value) && !inside) {
      inside = true;
      window_begin = point.time_ns;
    } else if (!above(point.value) && inside) {
      inside = false;
      close(point.time_ns);
    }
  }
  if (inside) close(end_ns);
}

}  // namespace

InFlightFigures ComputeInFlight(const std::vector<Interval>& intervals, std::int64_t start_ns,
                                std::int64_t end_ns) {
  InFlightFigures out;
  double area = 0;
  BuildSeries(SortedEvents(intervals), end_ns, out, area);
  if (end_ns > start_ns) out.mean = area / static_cast<double>(end_ns - start_ns);
  FindSteadyState(end_ns, out);
  return out;
}

}  // namespace infermeter::harness::detail
