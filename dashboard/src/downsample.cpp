#include "infermeter/dashboard/downsample.h"

#include <algorithm>

namespace infermeter::dashboard {

std::vector<Point> DownsampleMinMax(const std::vector<Point>& series, std::size_t buckets) {
  if (buckets == 0 || series.size() <= 4 * buckets) return series;
  const double x0 = series.front().x;
  const double span = series.back().x - x0;
  std::vector<Point> out;
  out.reserve(4 * buckets);
  std::size_t begin = 0;
  while (begin < series.size()) {
    // The bucket of series[begin], and every point in it.
    const auto bucket =
        span > 0 ? std::min(buckets - 1, static_cast<std::size_t>((series[begin].x - x0) / span *
                                                                  static_cast<double>(buckets)))
                 : 0;
    const double bucket_end =
        x0 + span * static_cast<double>(bucket + 1) / static_cast<double>(buckets);
    std::size_t end = begin + 1;
    while (end < series.size() && (series[end].x < bucket_end || bucket + 1 == buckets)) ++end;
    std::size_t low = begin, high = begin;
    for (std::size_t i = begin; i < end; ++i) {
      if (series[i].y < series[low].y) low = i;
      if (series[i].y > series[high].y) high = i;
    }
    // First, lowest, highest, last: in x order, each index once.
    std::size_t picks[] = {begin, low, high, end - 1};
    std::sort(std::begin(picks), std::end(picks));
    const std::size_t* last = std::unique(std::begin(picks), std::end(picks));
    for (const std::size_t* p = std::begin(picks); p != last; ++p) out.push_back(series[*p]);
    begin = end;
  }
  return out;
}

std::vector<Point> CdfPoints(std::vector<double>& values, std::size_t max_points) {
  std::vector<Point> out;
  if (values.empty() || max_points == 0) return out;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const std::size_t points = std::max<std::size_t>(2, std::min(max_points, n));
  out.reserve(points);
  for (std::size_t k = 0; k < points; ++k) {
    // Ranks 0 .. n-1 evenly; the fraction at or below value[i] is (i + 1) / n.
    const std::size_t i = n == 1 ? 0 : k * (n - 1) / (points - 1);
    const Point p{.x = values[i], .y = static_cast<double>(i + 1) / static_cast<double>(n)};
    if (out.empty() || !(out.back() == p)) out.push_back(p);
  }
  return out;
}

std::vector<Point> EvenSubset(const std::vector<Point>& points, std::size_t max_points) {
  if (points.size() <= max_points) return points;
  std::vector<Point> out;
  out.reserve(max_points);
  for (std::size_t k = 0; k < max_points; ++k)
    out.push_back(points[k * points.size() / max_points]);
  return out;
}

Histogram HistogramOf(const std::vector<double>& sorted_values, std::size_t bins) {
  Histogram h;
  if (sorted_values.empty() || bins == 0) return h;
  const std::size_t n = sorted_values.size();
  const double from = sorted_values.front();
  const double to = sorted_values[std::min(n - 1, static_cast<std::size_t>(0.995 * (n - 1)))];
  h.from = from;
  if (to <= from) {
    h.counts.assign(1, 0);
    for (double v : sorted_values) (v <= from ? h.counts[0] : h.above) += 1;
    return h;
  }
  h.bin_width = (to - from) / static_cast<double>(bins);
  h.counts.assign(bins, 0);
  for (double v : sorted_values) {
    if (v > to) {
      ++h.above;
      continue;
    }
    const auto bin = static_cast<std::size_t>((v - from) / h.bin_width);
    ++h.counts[std::min(bin, bins - 1)];
  }
  return h;
}

}  // namespace infermeter::dashboard
