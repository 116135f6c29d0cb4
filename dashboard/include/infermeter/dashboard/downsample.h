#pragma once
// Reducing what a chart draws without changing what it shows: a chart a few thousand pixels wide
// cannot show more points than that, and a run with a million requests must open in seconds.
// Tables keep the exact figures (run_metrics); only drawing is downsampled.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace infermeter::dashboard {

struct Point {
  double x = 0;
  double y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

// A time series (x non-decreasing) cut into `buckets` equal spans of x; each bucket keeps its
// first, lowest, highest and last point, in x order, so peaks and dips survive (at most
// 4 x buckets points). A series of at most 4 x buckets points is returned as it is.
std::vector<Point> DownsampleMinMax(const std::vector<Point>& series, std::size_t buckets);

// The empirical CDF of `values` as at most `max_points` (value, fraction at or below) points:
// evenly spaced ranks, always including the smallest and the largest value. Sorts `values`.
std::vector<Point> CdfPoints(std::vector<double>& values, std::size_t max_points);

// Counts of sorted `values` in `bins` equal bins from the smallest value to the 99.5th
// percentile; what lies above is counted apart, so one outlier does not squash the histogram.
struct Histogram {
  double from = 0;       // lower edge of the first bin
  double bin_width = 0;  // 0 when all values are equal (one bin)
  std::vector<std::int64_t> counts;
  std::int64_t above = 0;  // values above the last bin
};
Histogram HistogramOf(const std::vector<double>& sorted_values, std::size_t bins);

// At most `max_points` of `points`, chosen evenly by position (a scatter's density is kept).
std::vector<Point> EvenSubset(const std::vector<Point>& points, std::size_t max_points);

}  // namespace infermeter::dashboard
