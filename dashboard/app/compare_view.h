#pragma once
// The Compare view: two or more runs side by side. Bars give each key figure as a ratio to the
// chosen baseline run; the table gives the exact values and ratios; overlaid CDFs and time series
// show where the runs differ. Figures can be normalised by the hardware (per device, per peak
// FLOP/s, per watt). A banner warns when the runs are not like for like (dashboard::CompareRuns).

#include <QWidget>

#include <vector>

#include "infermeter/dashboard/comparison.h"
#include "infermeter/dashboard/run_snapshot.h"

class QComboBox;
class QLabel;
class QTabWidget;
class QVBoxLayout;
class QGridLayout;
class QChartView;

namespace infermeter::dashboard_app {

class TableModel;

class CompareView : public QWidget {
  Q_OBJECT

 public:
  explicit CompareView(QWidget* parent = nullptr);

  // `snapshots[i]` belongs to `runs[i]`.
  void SetRuns(std::vector<dashboard::CatalogRun> runs,
               std::vector<dashboard::RunSnapshot> snapshots);
  void Clear(const QString& message);

  void SetBaseline(int index);
  void SetNormalisation(dashboard::Normalisation normalisation);
  const dashboard::Comparison& comparison() const { return comparison_; }
  TableModel* table_model() const { return table_; }
  QLabel* warnings() const { return warnings_; }
  QTabWidget* tabs() const { return tabs_; }
  QChartView* bars() const { return bars_; }

 signals:
  void comparisonChanged();

 private:
  void Recompute();
  void BuildOverlays();

  std::vector<dashboard::CatalogRun> runs_;
  std::vector<dashboard::RunSnapshot> snapshots_;
  dashboard::Comparison comparison_;
  QComboBox* baseline_;
  QComboBox* normalisation_;
  QLabel* warnings_;
  QTabWidget* tabs_;
  QVBoxLayout* bars_layout_;
  QChartView* bars_ = nullptr;
  TableModel* table_;
  QGridLayout* cdf_layout_;
  QVBoxLayout* series_layout_;
};

}  // namespace infermeter::dashboard_app
