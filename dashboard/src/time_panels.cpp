#include "infermeter/dashboard/time_panels.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "infermeter/dashboard/figure_format.h"
#include "infermeter/results/store.h"

namespace infermeter::dashboard {
namespace {

struct LineSpec {
  std::string_view metric;  // samples.metric (any source)
  std::string_view name;
};

struct PanelSpec {
  std::string_view title;
  std::string_view stored_unit;  // of every metric in the panel
  std::vector<LineSpec> lines;
  // A count that holds between its points (in-flight changes only when a request starts or
  // ends): drawn as steps, since a straight line between two changes would show values that
  // never were.
  bool steps = false;
};

// Metric names as the collectors store them (docs/METRICS.md, docs/COLLECTORS.md).
const std::vector<PanelSpec>& Specs() {
  static const std::vector<PanelSpec> specs = {
      // Apart: prompt tokens/s are often 10x the output's and would flatten it.
      {"Output throughput", "tokens/s", {{"output_tokens_per_s", "output"}}},
      {"Input throughput", "tokens/s", {{"input_tokens_per_s", "input"}}},
      {"In-flight requests", "requests", {{"in_flight_requests", "in flight"}}, /*steps=*/true},
      {"KV cache",
       "bytes",
       {{"kv_used_bytes", "used"},
        {"kv_capacity_bytes", "capacity"},
        {"kv_allocated_bytes", "allocated"}}},
      {"FLOP/s", "FLOP/s", {{"flops_per_s", "achieved"}, {"analytic_flops_per_s", "analytic"}}},
      {"MFU", "", {{"mfu", "MFU"}}},
      {"Device memory",
       "bytes",
       {{"gpu_memory_used_bytes", "GPU used"}, {"npu_memory_used_bytes", "NPU used"}}},
      {"Device utilization",
       "%",
       {{"gpu_utilization_percent", "GPU"}, {"npu_aicore_utilization_percent", "NPU AI core"}}},
      {"Device power", "W", {{"gpu_power_watts", "GPU"}, {"npu_power_watts", "NPU"}}},
  };
  return specs;
}

// The series of `run` drawn for `metric`: one per label set. When collectors store the same
// metric and labels (the latency collector's sampled in-flight count and the one rebuilt from
// the stored requests), the one rebuilt from the requests wins: it is exact.
std::vector<const Series*> SeriesFor(const std::vector<Series>& run, std::string_view metric) {
  std::vector<const Series*> chosen;
  for (const Series& s : run) {
    if (s.metric != metric || s.points.empty()) continue;
    const auto same = std::find_if(chosen.begin(), chosen.end(), [&s](const Series* c) {
      return c->labels_json == s.labels_json;
    });
    if (same == chosen.end()) {
      chosen.push_back(&s);
    } else if (s.source == "requests") {
      *same = &s;
    }
  }
  return chosen;
}

// (x0,y0) (x1,y1) ... as steps: (x0,y0) (x1,y0) (x1,y1) ...
std::vector<Point> Steps(const std::vector<Point>& points) {
  std::vector<Point> out;
  out.reserve(points.size() * 2);
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (i > 0) out.push_back({.x = points[i].x, .y = points[i - 1].y});
    out.push_back(points[i]);
  }
  return out;
}

// "used (gpu=0)": the line's name with the series' labels, when it has any.
std::string LineName(std::string_view name, const std::string& labels_json) {
  std::string labels;
  for (const auto& [key, value] : results::LabelsFromJson(labels_json)) {
    labels += fmt::format("{}{}={}", labels.empty() ? "" : ", ", key, value);
  }
  return labels.empty() ? std::string(name) : fmt::format("{} ({})", name, labels);
}

}  // namespace

std::vector<TimePanel> OverlaidTimePanels(const std::vector<NamedSeries>& runs) {
  std::vector<TimePanel> panels;
  for (const PanelSpec& spec : Specs()) {
    TimePanel panel{.title = std::string(spec.title), .y_unit = {}, .lines = {}};
    double max_abs = 0;
    for (const NamedSeries& run : runs) {
      for (const LineSpec& line : spec.lines) {
        for (const Series* s : SeriesFor(*run.series, line.metric)) {
          for (const Point& p : s->points) max_abs = std::max(max_abs, std::fabs(p.y));
          std::string name = LineName(line.name, s->labels_json);
          if (!run.run_name.empty()) name = fmt::format("{}: {}", run.run_name, name);
          panel.lines.push_back(
              {.name = std::move(name), .points = spec.steps ? Steps(s->points) : s->points});
        }
      }
    }
    if (panel.lines.empty()) continue;
    const AxisUnit axis = AxisUnitFor(spec.stored_unit, max_abs);
    panel.y_unit = axis.unit;
    for (PanelLine& line : panel.lines) {
      for (Point& p : line.points) p.y *= axis.scale;
    }
    panels.push_back(std::move(panel));
  }
  return panels;
}

std::vector<TimePanel> TimePanels(const std::vector<Series>& series) {
  return OverlaidTimePanels({{.run_name = "", .series = &series}});
}

}  // namespace infermeter::dashboard
