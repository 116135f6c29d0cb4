#include "infermeter/report/report_charts.h"

#include <algorithm>

#include <fmt/format.h>

#include "infermeter/dashboard/run_snapshot.h"
#include "infermeter/dashboard/time_panels.h"

namespace infermeter::report {
namespace {

// A report draws charts some hundreds of pixels wide: far fewer points than the dashboard keeps
// for zooming, so large runs load quickly. Sessions and scatter are not drawn.
dashboard::SnapshotSettings ReportSnapshotSettings() {
  return {.series_buckets = 300,
          .cdf_points = 500,
          .scatter_points = 1,
          .itl_sample_requests = 20000,
          .sessions = 1,
          .histogram_bins = 1};
}

// A repeat group is drawn by its first run; the legend says which run that is.
std::string LineName(const compare::Subject& subject) {
  if (!subject.repeated()) return subject.label;
  return fmt::format("{}, run {}", subject.label, subject.first().run.id.value);
}

struct CdfKind {
  const char* stem;
  const char* title;
  const char* x_title;
  dashboard::LatencyCdf dashboard::RunSnapshot::*cdf;
  bool log_x;  // a long tail (queueing, prefill of long prompts) spans decades
};

constexpr CdfKind kCdfs[] = {
    {"ttft-cdf", "Time to first token", "TTFT (ms)", &dashboard::RunSnapshot::ttft, true},
    {"tpot-cdf", "Time per output token", "TPOT (ms)", &dashboard::RunSnapshot::tpot, false},
    {"itl-cdf", "Inter-token latency", "ITL (ms)", &dashboard::RunSnapshot::itl, true},
    {"e2e-cdf", "End-to-end latency", "E2E latency (ms)", &dashboard::RunSnapshot::e2e, false},
};

// The time-series charts: a dashboard panel, overlaid over the subjects.
struct PanelChart {
  const char* panel;  // dashboard::TimePanel::title
  const char* stem;
  const char* caption;
};

constexpr PanelChart kPanelCharts[] = {
    {"Output throughput", "throughput",
     "Output tokens per second over the run, counted from the requests' streamed chunks; x from "
     "each run's first request."},
    {"KV cache", "kv-cache",
     "KV cache used over the run, as the engine reported it (all kinds of cache entries "
     "together)."},
};

}  // namespace

std::vector<ReportChart> ReportCharts(const std::string& db_path,
                                      const std::vector<compare::Subject>& subjects,
                                      const std::atomic<bool>* cancel) {
  std::vector<dashboard::RunSnapshot> snapshots;
  snapshots.reserve(subjects.size());
  for (const compare::Subject& subject : subjects) {
    snapshots.push_back(dashboard::LoadRunSnapshot(db_path, subject.first().run.id,
                                                   ReportSnapshotSettings(), cancel));
  }

  std::vector<ReportChart> charts;
  std::vector<dashboard::NamedSeries> named;
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    named.push_back({.run_name = LineName(subjects[i]), .series = &snapshots[i].series});
  }
  const std::vector<dashboard::TimePanel> panels = dashboard::OverlaidTimePanels(named);
  for (const PanelChart& wanted : kPanelCharts) {
    for (const dashboard::TimePanel& panel : panels) {
      if (panel.title != wanted.panel || panel.lines.empty()) continue;
      ChartSpec spec{.title = panel.title,
                     .x_title = "time (s)",
                     .y_title = panel.y_unit,
                     .width_px = 900,
                     .height_px = 360};
      std::string caption = wanted.caption;
      if (panel.title == "KV cache") {
        // One line per subject, in its colour: the total used. The engine's breakdown by kind
        // and its allocation would repeat colours across subjects, and a capacity line many
        // times the usage would flatten it; capacities are given in the caption instead.
        std::vector<std::string> capacities;
        for (const dashboard::PanelLine& line : panel.lines) {
          if (line.name.ends_with(": used") || line.name == "used") {
            spec.lines.push_back({.name = line.name, .points = line.points});
          } else if (line.name.ends_with(": capacity") && !line.points.empty()) {
            double capacity = 0;
            for (const dashboard::Point& p : line.points) capacity = std::max(capacity, p.y);
            capacities.push_back(fmt::format("{} {:.3g} {}",
                                             line.name.substr(0, line.name.size() - 10), capacity,
                                             panel.y_unit));
          }
        }
        if (spec.lines.empty()) continue;  // only a breakdown by kind: nothing comparable
        if (!capacities.empty()) {
          caption += fmt::format(" Capacity: {}.", fmt::join(capacities, "; "));
        }
      } else {
        for (const dashboard::PanelLine& line : panel.lines) {
          spec.lines.push_back({.name = line.name, .points = line.points});
        }
      }
      charts.push_back(
          {.stem = wanted.stem, .caption = std::move(caption), .spec = std::move(spec)});
    }
  }

  for (const CdfKind& kind : kCdfs) {
    ChartSpec spec{.title = fmt::format("{}: CDF", kind.title),
                   .x_title = fmt::format("{}{}", kind.x_title, kind.log_x ? ", log scale" : ""),
                   .y_title = "fraction at or below",
                   .y_min = 0.0,
                   .y_max = 1.0,
                   .log_x = kind.log_x};
    bool sampled = false;
    for (std::size_t i = 0; i < subjects.size(); ++i) {
      const dashboard::LatencyCdf& cdf = snapshots[i].*kind.cdf;
      sampled = sampled || cdf.sampled;
      spec.lines.push_back({.name = fmt::format("{} ({} values)", LineName(subjects[i]), cdf.count),
                            .points = cdf.points});
    }
    std::string caption =
        fmt::format("Empirical CDF of {} over each run's successful requests.", kind.x_title);
    if (kind.cdf == &dashboard::RunSnapshot::itl) {
      caption =
          "Empirical CDF of the gaps between streamed tokens, every gap of every request "
          "counted.";
    }
    if (sampled) caption += " Drawn from a sample of a large run's requests.";
    charts.push_back({.stem = kind.stem, .caption = std::move(caption), .spec = std::move(spec)});
  }
  return charts;
}

}  // namespace infermeter::report
