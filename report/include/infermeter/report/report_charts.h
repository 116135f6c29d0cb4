#pragma once
// The charts of a report: throughput over time, KV cache over time and the latency CDFs, one
// line per compared subject, built from the dashboard's run snapshots (the same series and CDFs
// the desktop dashboard draws) so a report and the dashboard never disagree.

#include <atomic>
#include <string>
#include <vector>

#include "infermeter/compare/subject.h"
#include "infermeter/report/chart_image.h"

namespace infermeter::report {

struct ReportChart {
  std::string stem;     // file-name part, "throughput", "ttft-cdf"
  std::string caption;  // what the chart shows and how it was drawn
  ChartSpec spec;
};

// Loads each subject's run (a repeat group's first run: its runs repeat one workload) from the
// results file at `db_path` and returns the charts in report order. Charts whose series no
// subject recorded (KV cache without a KV collector) are left out. Throws Error as
// dashboard::LoadRunSnapshot.
std::vector<ReportChart> ReportCharts(const std::string& db_path,
                                      const std::vector<compare::Subject>& subjects,
                                      const std::atomic<bool>* cancel = nullptr);

}  // namespace infermeter::report
