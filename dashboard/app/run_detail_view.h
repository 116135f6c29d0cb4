#pragma once
// The Run detail view: one run, from a RunSnapshot taken whole. Tabs:
//   Over time      throughput, in-flight, KV cache, FLOP/s, MFU, device memory, utilization and
//                  power, stacked on one time axis that zooms together (drag to zoom)
//   Latency        TTFT, TPOT, ITL and E2E as CDFs and histograms
//   Input vs TTFT  a scatter of prompt length against time to first token
//   Sessions       the per-session timeline of an agentic run
//   Errors         failed requests grouped by class
//   Figures        every stored summary figure, exact
//   Configuration  the run's fields, hardware, configuration and collectors

#include <QWidget>

#include <optional>
#include <vector>

#include "infermeter/dashboard/run_snapshot.h"

class QChartView;
class QGridLayout;
class QLabel;
class QTabWidget;
class QTableView;
class QVBoxLayout;

namespace infermeter::dashboard_app {

class SessionTimeline;
class SyncedTimeAxis;
class TableModel;

class RunDetailView : public QWidget {
  Q_OBJECT

 public:
  explicit RunDetailView(QWidget* parent = nullptr);

  // Replaces everything shown. A zoomed time axis keeps its range when the same run is shown
  // again (a live refresh).
  void SetSnapshot(dashboard::RunSnapshot snapshot);
  void Clear(const QString& message);
  const std::optional<dashboard::RunSnapshot>& snapshot() const { return snapshot_; }

  QTabWidget* tabs() const { return tabs_; }
  SyncedTimeAxis* time_axis() const { return time_axis_; }
  TableModel* figures_model() const { return figures_; }
  TableModel* errors_model() const { return errors_; }
  TableModel* config_model() const { return config_; }
  SessionTimeline* sessions() const { return sessions_; }
  // The charts of the Over time tab, in order (tests, export).
  const std::vector<QChartView*>& time_charts() const { return time_charts_; }

 private:
  void BuildTimeCharts(const dashboard::RunSnapshot& snapshot, bool keep_zoom);
  void BuildLatencyCharts(const dashboard::RunSnapshot& snapshot);
  void BuildScatter(const dashboard::RunSnapshot& snapshot);

  std::optional<dashboard::RunSnapshot> snapshot_;
  QLabel* header_;
  QTabWidget* tabs_;
  QVBoxLayout* time_layout_;
  QLabel* time_empty_;
  std::vector<QChartView*> time_charts_;
  SyncedTimeAxis* time_axis_;
  QGridLayout* latency_layout_;
  QVBoxLayout* scatter_layout_;
  SessionTimeline* sessions_;
  TableModel* errors_;
  TableModel* figures_;
  TableModel* config_;
};

}  // namespace infermeter::dashboard_app
