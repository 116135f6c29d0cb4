#pragma once
// Which collector series the run-detail view draws together, on one time axis: throughput,
// in-flight requests, KV cache used vs capacity, FLOP/s, MFU, device memory, utilization and
// power. Each panel's values are scaled to a readable axis unit (GiB, TFLOP/s, %). Panels with
// no series in the run are left out, so a CPU run shows no GPU panels.

#include <string>
#include <vector>

#include "infermeter/dashboard/downsample.h"
#include "infermeter/dashboard/run_snapshot.h"

namespace infermeter::dashboard {

struct PanelLine {
  std::string name;           // "output", "used (gpu=0)"
  std::vector<Point> points;  // x seconds from the run's first send, y in the panel's unit
};

struct TimePanel {
  std::string title;   // "KV cache"
  std::string y_unit;  // "GiB"
  std::vector<PanelLine> lines;
};

std::vector<TimePanel> TimePanels(const std::vector<Series>& series);

// The same panels for several runs overlaid: each line named "<run name>: <line>", every run's
// lines in one panel on one axis unit.
struct NamedSeries {
  std::string run_name;
  const std::vector<Series>* series = nullptr;
};
std::vector<TimePanel> OverlaidTimePanels(const std::vector<NamedSeries>& runs);

}  // namespace infermeter::dashboard
