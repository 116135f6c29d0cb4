#pragma once
// The dashboard's window: the Runs, Run detail and Compare views in tabs, over one results file
// opened read-only. All loading goes through AsyncLoaders (off the GUI thread, cancellable from
// the status bar); errors show in a banner and the window stays usable (open another file).
// Live follow re-reads at most once a second, and only when the file changed.

#include <QList>
#include <QMainWindow>
#include <QStringList>

#include <functional>
#include <optional>

#include "infermeter/dashboard/change_watch.h"

class QAction;
class QLabel;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QTimer;

namespace infermeter::results {
class ResultsStore;
}

namespace infermeter::dashboard_app {

class AsyncLoader;
class CompareView;
class RunDetailView;
class RunsView;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  // How often live follow looks for changes.
  static constexpr int kLiveIntervalMs = 1000;

  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  void OpenDatabase(const QString& path);
  void ShowRun(qint64 run_id);
  void CompareRuns(const QList<qint64>& run_ids);
  void SetLive(bool on);
  bool live() const;

  // Blocks until no load runs (tests and --screenshot; never called from a user action).
  void WaitForLoads();
  // Renders every view and tab of the window to PNG files in `dir`; returns their paths.
  QStringList SaveScreenshots(const QString& dir);

  const QString& db_path() const { return db_path_; }
  RunsView* runs_view() const { return runs_; }
  RunDetailView* detail_view() const { return detail_; }
  CompareView* compare_view() const { return compare_; }
  QTabWidget* tabs() const { return tabs_; }
  QLabel* banner() const { return banner_; }
  AsyncLoader* catalog_loader() const { return catalog_loader_; }
  AsyncLoader* detail_loader() const { return detail_loader_; }

 signals:
  void catalogLoaded();
  void runLoaded(qint64 run_id);
  void comparisonLoaded();
  void loadFailed(const QString& message);
  void editApplied();

 private:
  void BuildMenus();
  void ReloadCatalog();
  void ReloadDetail();
  void OnLiveTick();
  void ShowError(const QString& message);
  void ClearError();
  void Edit(const QString& what, std::function<void(results::ResultsStore&)> edit);
  void UpdateBusy();

  QString db_path_;
  std::optional<dashboard::ChangeWatch> watch_;
  bool change_pending_ = false;  // a change seen while a load was still running
  qint64 detail_run_ = -1;
  QList<qint64> compare_runs_;

  QTabWidget* tabs_;
  RunsView* runs_;
  RunDetailView* detail_;
  CompareView* compare_;
  QLabel* banner_;
  QProgressBar* progress_;
  QPushButton* cancel_;
  QAction* live_action_;
  QTimer* live_timer_;
  AsyncLoader* catalog_loader_;
  AsyncLoader* detail_loader_;
  AsyncLoader* compare_loader_;
  AsyncLoader* edit_loader_;
};

}  // namespace infermeter::dashboard_app
