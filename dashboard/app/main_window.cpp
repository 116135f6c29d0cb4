#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

#include <fmt/format.h>

#include "async_loader.h"
#include "compare_view.h"
#include "infermeter/dashboard/run_catalog.h"
#include "infermeter/dashboard/run_snapshot.h"
#include "infermeter/results/store.h"
#include "run_detail_view.h"
#include "runs_view.h"
#include "tables.h"

namespace infermeter::dashboard_app {
namespace {

// What the Compare view needs, loaded together.
struct CompareData {
  std::vector<dashboard::CatalogRun> runs;
  std::vector<dashboard::RunSnapshot> snapshots;
};

// Lowercase, dash-separated: "Input vs TTFT" -> "input-vs-ttft".
QString FileStem(QString text) {
  text = text.toLower();
  text.replace(QRegularExpression("[^a-z0-9]+"), "-");
  return text;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      tabs_(new QTabWidget(this)),
      runs_(new RunsView),
      detail_(new RunDetailView),
      compare_(new CompareView),
      banner_(new QLabel(this)),
      progress_(new QProgressBar(this)),
      cancel_(new QPushButton("Cancel", this)),
      live_action_(new QAction("Follow live", this)),
      live_timer_(new QTimer(this)),
      catalog_loader_(new AsyncLoader(this)),
      detail_loader_(new AsyncLoader(this)),
      compare_loader_(new AsyncLoader(this)),
      edit_loader_(new AsyncLoader(this)) {
  setWindowTitle("infermeter dashboard");
  tabs_->addTab(runs_, "Runs");
  tabs_->addTab(detail_, "Run detail");
  tabs_->addTab(compare_, "Compare");

  banner_->setWordWrap(true);
  banner_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  banner_->setStyleSheet(
      "QLabel { background: #f8d7da; color: #58151c; border: 1px solid #f1aeb5; padding: 6px; }");
  banner_->hide();

  auto* central = new QWidget;
  auto* layout = new QVBoxLayout(central);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(banner_);
  layout->addWidget(tabs_, 1);
  setCentralWidget(central);

  progress_->setRange(0, 0);  // busy indicator: loads report no fraction
  progress_->setMaximumWidth(160);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(cancel_);
  connect(cancel_, &QPushButton::clicked, this, [this] {
    for (AsyncLoader* loader : {catalog_loader_, detail_loader_, compare_loader_}) loader->Cancel();
  });
  for (AsyncLoader* loader : {catalog_loader_, detail_loader_, compare_loader_, edit_loader_}) {
    connect(loader, &AsyncLoader::started, this, &MainWindow::UpdateBusy);
    connect(loader, &AsyncLoader::finished, this, &MainWindow::UpdateBusy);
    connect(loader, &AsyncLoader::cancelled, this, [this] {
      statusBar()->showMessage("Loading cancelled.", 5000);
      UpdateBusy();
    });
    connect(loader, &AsyncLoader::failed, this, [this](const QString& message) {
      ShowError(message);
      UpdateBusy();
    });
  }
  UpdateBusy();

  live_action_->setCheckable(true);
  live_action_->setShortcut(QKeySequence("Ctrl+L"));
  live_action_->setToolTip("Re-read the results file when it changes (at most once a second)");
  connect(live_action_, &QAction::toggled, this, &MainWindow::SetLive);
  live_timer_->setInterval(kLiveIntervalMs);
  connect(live_timer_, &QTimer::timeout, this, &MainWindow::OnLiveTick);

  connect(runs_, &RunsView::openRequested, this, &MainWindow::ShowRun);
  connect(runs_, &RunsView::compareRequested, this, &MainWindow::CompareRuns);
  connect(runs_, &RunsView::renameRequested, this, [this](qint64 id, const QString& name) {
    Edit(QString("Renaming run %1").arg(id),
         [id, name = name.toStdString()](results::ResultsStore& store) {
           store.RenameRun(RunId{id}, name);
         });
  });
  connect(runs_, &RunsView::deleteRequested, this, [this](const QList<qint64>& ids) {
    Edit(QString("Deleting %1 run(s)").arg(ids.size()), [ids](results::ResultsStore& store) {
      for (qint64 id : ids) store.DeleteRun(RunId{id});
    });
  });
  BuildMenus();
  resize(1400, 900);
}

MainWindow::~MainWindow() = default;

void MainWindow::BuildMenus() {
  QMenu* file = menuBar()->addMenu("&File");
  QAction* open = file->addAction("&Open results file…", this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, "Open results file", db_path_, "infermeter results (*.db *.sqlite);;All (*)");
    if (!path.isEmpty()) OpenDatabase(path);
  });
  open->setShortcut(QKeySequence::Open);
  QAction* reload = file->addAction("&Reload", this, [this] {
    ReloadCatalog();
    ReloadDetail();
  });
  reload->setShortcut(QKeySequence::Refresh);
  file->addSeparator();
  QAction* quit = file->addAction("&Quit", this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
  QMenu* view = menuBar()->addMenu("&View");
  view->addAction(live_action_);
}

void MainWindow::OpenDatabase(const QString& path) {
  db_path_ = path;
  setWindowTitle(QString("infermeter dashboard — %1").arg(path));
  watch_.emplace(path.toStdString());
  detail_run_ = -1;
  compare_runs_.clear();
  detail_->Clear("Open a run from the Runs view (double-click, or select and press Open).");
  compare_->Clear("Select two or more runs in the Runs view and press Compare selected.");
  ReloadCatalog();
}

void MainWindow::ReloadCatalog() {
  if (db_path_.isEmpty()) return;
  const std::string path = db_path_.toStdString();
  catalog_loader_->Start<dashboard::RunCatalog>(
      [path](const std::atomic<bool>* cancel) { return dashboard::LoadRunCatalog(path, cancel); },
      [this](dashboard::RunCatalog catalog) {
        ClearError();
        const std::size_t n = catalog.runs.size();
        runs_->SetCatalog(std::move(catalog));
        statusBar()->showMessage(QString("%1 runs in %2").arg(n).arg(db_path_));
        emit catalogLoaded();
      });
}

void MainWindow::ShowRun(qint64 run_id) {
  detail_run_ = run_id;
  tabs_->setCurrentWidget(detail_);
  ReloadDetail();
}

void MainWindow::ReloadDetail() {
  if (db_path_.isEmpty() || detail_run_ < 0) return;
  const std::string path = db_path_.toStdString();
  const qint64 id = detail_run_;
  detail_loader_->Start<dashboard::RunSnapshot>(
      [path, id](const std::atomic<bool>* cancel) {
        return dashboard::LoadRunSnapshot(path, RunId{id}, {}, cancel);
      },
      [this, id](dashboard::RunSnapshot snapshot) {
        detail_->SetSnapshot(std::move(snapshot));
        emit runLoaded(id);
      });
}

void MainWindow::CompareRuns(const QList<qint64>& run_ids) {
  compare_runs_ = run_ids;
  tabs_->setCurrentWidget(compare_);
  const std::string path = db_path_.toStdString();
  std::vector<RunId> ids;
  for (qint64 id : run_ids) ids.push_back(RunId{id});
  compare_loader_->Start<CompareData>(
      [path, ids](const std::atomic<bool>* cancel) {
        CompareData data;
        const dashboard::RunCatalog catalog = dashboard::LoadRunCatalog(path, cancel);
        for (RunId id : ids) {
          const auto it = std::find_if(catalog.runs.begin(), catalog.runs.end(),
                                       [id](const auto& run) { return run.run.id == id; });
          if (it == catalog.runs.end()) {
            throw Error(fmt::format("{}: there is no run {}", path, id.value));
          }
          data.runs.push_back(*it);
          data.snapshots.push_back(dashboard::LoadRunSnapshot(path, id, {}, cancel));
        }
        return data;
      },
      [this](CompareData data) {
        compare_->SetRuns(std::move(data.runs), std::move(data.snapshots));
        emit comparisonLoaded();
      });
}

void MainWindow::Edit(const QString& what, std::function<void(results::ResultsStore&)> edit) {
  const std::string path = db_path_.toStdString();
  statusBar()->showMessage(what + "…");
  edit_loader_->Start<bool>(
      [path, edit = std::move(edit)](const std::atomic<bool>*) {
        results::ResultsStore store = results::ResultsStore::OpenForEditing(path);
        edit(store);
        return true;
      },
      [this, what](bool) {
        statusBar()->showMessage(what + ": done.", 5000);
        ReloadCatalog();
        emit editApplied();
      });
}

void MainWindow::SetLive(bool on) {
  if (live_action_->isChecked() != on) live_action_->setChecked(on);  // re-enters once
  if (on) {
    live_timer_->start();
  } else {
    live_timer_->stop();
  }
}

bool MainWindow::live() const { return live_timer_->isActive(); }

void MainWindow::OnLiveTick() {
  if (!watch_) return;
  change_pending_ = watch_->Changed() || change_pending_;
  if (!change_pending_) return;
  // Never stack loads: a load still running is followed by the next tick.
  if (catalog_loader_->busy() || detail_loader_->busy()) return;
  change_pending_ = false;
  ReloadCatalog();
  ReloadDetail();
}

void MainWindow::ShowError(const QString& message) {
  banner_->setText(message);
  banner_->show();
  emit loadFailed(message);
}

void MainWindow::ClearError() { banner_->hide(); }

void MainWindow::UpdateBusy() {
  bool busy = false;
  for (AsyncLoader* loader : {catalog_loader_, detail_loader_, compare_loader_, edit_loader_}) {
    busy = busy || loader->busy();
  }
  progress_->setVisible(busy);
  cancel_->setVisible(busy);
}

void MainWindow::WaitForLoads() {
  for (int round = 0; round < 100; ++round) {
    bool busy = false;
    for (AsyncLoader* loader : {catalog_loader_, detail_loader_, compare_loader_, edit_loader_}) {
      loader->WaitForIdle();
      busy = busy || loader->busy();
    }
    QApplication::processEvents();
    if (!busy) return;
  }
}

QStringList MainWindow::SaveScreenshots(const QString& dir) {
  QDir().mkpath(dir);
  QStringList files;
  const auto save = [&](const QString& stem) {
    QApplication::processEvents();
    const QString path = QDir(dir).filePath(stem + ".png");
    if (grab().save(path, "PNG")) files << path;
  };
  tabs_->setCurrentWidget(runs_);
  save("runs");
  tabs_->setCurrentWidget(detail_);
  for (int i = 0; i < detail_->tabs()->count(); ++i) {
    detail_->tabs()->setCurrentIndex(i);
    save("run-detail-" + FileStem(detail_->tabs()->tabText(i)));
  }
  tabs_->setCurrentWidget(compare_);
  for (int i = 0; i < compare_->tabs()->count(); ++i) {
    compare_->tabs()->setCurrentIndex(i);
    save("compare-" + FileStem(compare_->tabs()->tabText(i)));
  }
  detail_->tabs()->setCurrentIndex(0);
  compare_->tabs()->setCurrentIndex(0);
  tabs_->setCurrentWidget(runs_);
  return files;
}

}  // namespace infermeter::dashboard_app
