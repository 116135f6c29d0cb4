// The dashboard's widgets driven as a user drives them, on real results files, under the
// offscreen platform: signals checked with QSignalSpy, loads off the GUI thread (and their
// cancellation), bad files (missing, corrupt, newer schema) reported while the window stays
// usable, rename and delete with confirmation, live follow of a run being written, export.

#include <QChartView>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "async_loader.h"
#include "chart_export.h"
#include "chart_factory.h"
#include "compare_view.h"
#include "csv_export.h"
#include "fixture_db.h"
#include "infermeter/results/sqlite.h"
#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"
#include "main_window.h"
#include "run_detail_view.h"
#include "runs_view.h"
#include "session_timeline.h"
#include "synced_time_axis.h"
#include "table_model.h"
#include "theme.h"

using namespace infermeter;
using namespace infermeter::dashboard_app;

namespace {

constexpr int kLoadTimeoutMs = 20000;

}  // namespace

class DashboardWidgetsTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    db_ = dir_.filePath("fixture.db");
    runs_ = testing::WriteDashboardFixture(db_.toStdString());
  }

  void loaderDeliversOnlyTheNewestJob() {
    AsyncLoader loader;
    QSignalSpy finished(&loader, &AsyncLoader::finished);
    QSignalSpy cancelled(&loader, &AsyncLoader::cancelled);
    int delivered = 0;
    std::atomic<bool> release{false};
    // A slow first job, superseded by a second: only the second's result arrives.
    loader.Start<int>(
        [&release](const std::atomic<bool>* cancel) {
          while (!release.load()) {
            if (cancel->load()) throw dashboard::LoadCancelled();
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
          return 1;
        },
        [&delivered](int v) { delivered = v; });
    QVERIFY(loader.busy());
    loader.Start<int>([](const std::atomic<bool>*) { return 2; },
                      [&delivered](int v) { delivered = v; });
    release = true;
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kLoadTimeoutMs);
    loader.WaitForIdle();
    QCOMPARE(delivered, 2);
    QCOMPARE(cancelled.count(), 0);  // the stale job's outcome is dropped, not reported
    QVERIFY(!loader.busy());
  }

  void loaderReportsCancellationAndFailure() {
    AsyncLoader loader;
    QSignalSpy cancelled(&loader, &AsyncLoader::cancelled);
    QSignalSpy failed(&loader, &AsyncLoader::failed);
    loader.Start<int>(
        [](const std::atomic<bool>* cancel) {
          while (!cancel->load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          throw dashboard::LoadCancelled();
          return 0;
        },
        [](int) { QFAIL("a cancelled job delivered"); });
    loader.Cancel();
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, kLoadTimeoutMs);
    loader.Start<int>([](const std::atomic<bool>*) -> int { throw Error("disk on fire"); },
                      [](int) {});
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kLoadTimeoutMs);
    QCOMPARE(failed.front().front().toString(), QString("disk on fire"));
  }

  void runsViewAsksBeforeEditingAndSignals() {
    RunsView view;
    view.SetCatalog(dashboard::LoadRunCatalog(db_.toStdString()));
    QSignalSpy compare(&view, &RunsView::compareRequested);
    QSignalSpy open(&view, &RunsView::openRequested);
    QSignalSpy rename(&view, &RunsView::renameRequested);
    QSignalSpy remove(&view, &RunsView::deleteRequested);

    view.SelectRuns({runs_.h100_chat.value, runs_.ascend_chat.value});
    view.RequestCompare();
    QCOMPARE(compare.count(), 1);
    const auto ids = compare.front().front().value<QList<qint64>>();
    QCOMPARE(ids.size(), 2);
    QVERIFY(ids.contains(runs_.h100_chat.value) && ids.contains(runs_.ascend_chat.value));

    // Double-clicking a row opens that run.
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QModelIndex source =
        view.model()->index(view.model()->RowOf(runs_.ascend_agentic.value), 0);
    const QModelIndex shown = view.proxy()->mapFromSource(source);
    view.table()->scrollTo(shown);
    const QPoint at = view.table()->visualRect(shown).center();
    QTest::mouseClick(view.table()->viewport(), Qt::LeftButton, {}, at);
    QTest::mouseDClick(view.table()->viewport(), Qt::LeftButton, {}, at);
    QCOMPARE(open.count(), 1);
    QCOMPARE(open.front().front().toLongLong(), runs_.ascend_agentic.value);

    // Declined confirmations change nothing; accepted ones ask the window to act.
    int questions = 0;
    bool answer = false;
    view.confirm = [&](const QString&, const QString&) {
      ++questions;
      return answer;
    };
    view.ask_name = [](const QString&) { return QString("renamed"); };
    view.RequestRename();
    view.RequestDelete();
    QCOMPARE(questions, 2);
    QCOMPARE(rename.count(), 0);
    QCOMPARE(remove.count(), 0);
    answer = true;
    view.RequestRename();
    view.RequestDelete();
    QCOMPARE(rename.count(), 1);
    QCOMPARE(rename.front().at(1).toString(), QString("renamed"));
    QCOMPARE(remove.count(), 1);

    // The filter box filters every column.
    view.filter()->setText("h100");
    QCOMPARE(view.proxy()->rowCount(), 4);
    view.filter()->setText("h100|(");  // not a valid expression yet: filters as text, no crash
    QCOMPARE(view.proxy()->rowCount(), 0);
    view.filter()->clear();
    QCOMPARE(view.proxy()->rowCount(), 6);
  }

  void windowOpensRunsDetailAndComparison() {
    MainWindow window;
    QSignalSpy catalog(&window, &MainWindow::catalogLoaded);
    QSignalSpy run(&window, &MainWindow::runLoaded);
    QSignalSpy compared(&window, &MainWindow::comparisonLoaded);
    window.OpenDatabase(db_);
    QTRY_COMPARE_WITH_TIMEOUT(catalog.count(), 1, kLoadTimeoutMs);
    QCOMPARE(window.runs_view()->model()->rowCount(), 6);
    QVERIFY(window.banner()->isHidden());

    window.ShowRun(runs_.h100_agentic.value);
    QTRY_COMPARE_WITH_TIMEOUT(run.count(), 1, kLoadTimeoutMs);
    RunDetailView* detail = window.detail_view();
    QVERIFY(detail->snapshot().has_value());
    QCOMPARE(detail->snapshot()->run.id, runs_.h100_agentic);
    QVERIFY(detail->time_charts().size() >= 5);  // throughput … power
    QVERIFY(!detail->sessions()->sessions().empty());
    QVERIFY(detail->figures_model()->rowCount() > 20);

    // One time axis: zooming one chart zooms them all.
    QSignalSpy range(detail->time_axis(), &SyncedTimeAxis::rangeChanged);
    XAxisOf(detail->time_charts().front()->chart())->setRange(2.0, 5.0);
    QCOMPARE(range.count(), 1);
    for (QChartView* view : detail->time_charts()) {
      QCOMPARE(XAxisOf(view->chart())->min(), 2.0);
      QCOMPARE(XAxisOf(view->chart())->max(), 5.0);
    }
    detail->time_axis()->ResetZoom();
    QCOMPARE(XAxisOf(detail->time_charts().back()->chart())->min(), 0.0);

    // Like for like: same workload on two kinds of hardware, no warning.
    window.CompareRuns({runs_.h100_chat.value, runs_.ascend_chat.value});
    QTRY_COMPARE_WITH_TIMEOUT(compared.count(), 1, kLoadTimeoutMs);
    CompareView* compare = window.compare_view();
    QVERIFY(compare->warnings()->isHidden());
    QVERIFY(compare->table_model()->rowCount() > 5);
    QVERIFY(compare->bars() != nullptr);
    QSignalSpy changed(compare, &CompareView::comparisonChanged);
    compare->SetBaseline(1);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(compare->comparison().baseline, std::size_t{1});
    compare->SetNormalisation(dashboard::Normalisation::kPerDevice);
    QCOMPARE(compare->comparison().normalisation, dashboard::Normalisation::kPerDevice);

    // Different workloads: warned.
    window.CompareRuns({runs_.h100_chat.value, runs_.ascend_agentic.value});
    QTRY_COMPARE_WITH_TIMEOUT(compared.count(), 2, kLoadTimeoutMs);
    QVERIFY(!compare->warnings()->isHidden());
    QVERIFY2(compare->warnings()->text().contains("workload", Qt::CaseInsensitive),
             qPrintable(compare->warnings()->text()));
  }

  void badFilesAreReportedAndTheWindowStaysUsable() {
    const QString corrupt = dir_.filePath("corrupt.db");
    {
      QFile f(corrupt);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write(QByteArray(8192, 'x'));
    }
    const QString newer = Copy("newer.db");
    {
      results::Database db(newer.toStdString(), results::OpenMode::kReadWrite);
      db.Execute("PRAGMA user_version = 999");
    }
    MainWindow window;
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    QSignalSpy catalog(&window, &MainWindow::catalogLoaded);
    const QString missing = dir_.filePath("missing.db");
    for (const QString& path : {missing, corrupt, newer}) {
      const qsizetype before = failed.count();
      window.OpenDatabase(path);
      QTRY_COMPARE_WITH_TIMEOUT(failed.count(), before + 1, kLoadTimeoutMs);
      QVERIFY(!window.banner()->isHidden());
      QVERIFY2(window.banner()->text().contains(QFileInfo(path).fileName()),
               qPrintable(window.banner()->text()));
    }
    QVERIFY(window.banner()->text().contains("999") ||
            window.banner()->text().contains("version", Qt::CaseInsensitive));
    QVERIFY(!QFile::exists(missing));  // read-only: never created
    // A run that is not there.
    window.OpenDatabase(db_);
    QTRY_COMPARE_WITH_TIMEOUT(catalog.count(), 1, kLoadTimeoutMs);
    QVERIFY(window.banner()->isHidden());
    window.ShowRun(424242);
    QTRY_VERIFY_WITH_TIMEOUT(!window.banner()->isHidden(), kLoadTimeoutMs);
    QVERIFY(window.banner()->text().contains("424242"));
    QCOMPARE(window.runs_view()->model()->rowCount(), 6);  // still there
  }

  void renameAndDeleteChangeTheFile() {
    const QString path = Copy("edit.db");
    MainWindow window;
    QSignalSpy catalog(&window, &MainWindow::catalogLoaded);
    QSignalSpy edited(&window, &MainWindow::editApplied);
    window.OpenDatabase(path);
    QTRY_COMPARE_WITH_TIMEOUT(catalog.count(), 1, kLoadTimeoutMs);
    RunsView* view = window.runs_view();
    view->confirm = [](const QString&, const QString&) { return true; };
    view->ask_name = [](const QString&) { return QString("h100 baseline"); };

    view->SelectRuns({runs_.h100_chat.value});
    view->RequestRename();
    QTRY_COMPARE_WITH_TIMEOUT(edited.count(), 1, kLoadTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(catalog.count(), 2, kLoadTimeoutMs);
    {
      auto store = results::ResultsStore::OpenForReading(path.toStdString());
      QCOMPARE(QString::fromStdString(store.GetRun(runs_.h100_chat)->info.name),
               QString("h100 baseline"));
    }
    view->SelectRuns({runs_.h100_failed_requests.value, runs_.ascend_agentic.value});
    view->RequestDelete();
    QTRY_COMPARE_WITH_TIMEOUT(edited.count(), 2, kLoadTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(catalog.count(), 3, kLoadTimeoutMs);
    QCOMPARE(view->model()->rowCount(), 4);
    auto store = results::ResultsStore::OpenForReading(path.toStdString());
    QVERIFY(!store.GetRun(runs_.ascend_agentic).has_value());
    QVERIFY(store.LoadRequests(runs_.ascend_agentic).empty());  // cascaded
    QVERIFY(store.Check().ok());
  }

  void liveFollowSeesARunBeingWritten() {
    const QString path = Copy("live.db");
    MainWindow window;
    QSignalSpy catalog(&window, &MainWindow::catalogLoaded);
    QSignalSpy run(&window, &MainWindow::runLoaded);
    window.OpenDatabase(path);
    QTRY_COMPARE_WITH_TIMEOUT(catalog.count(), 1, kLoadTimeoutMs);
    window.ShowRun(runs_.running.value);
    QTRY_COMPARE_WITH_TIMEOUT(run.count(), 1, kLoadTimeoutMs);
    const std::int64_t before = window.detail_view()->snapshot()->requests;
    window.SetLive(true);
    QVERIFY(window.live());

    // Nothing changes: no reload (live follow only reads a changed file).
    QTest::qWait(2 * MainWindow::kLiveIntervalMs + 200);
    const qsizetype quiet_loads = run.count();
    QTest::qWait(MainWindow::kLiveIntervalMs + 200);
    QCOMPARE(run.count(), quiet_loads);

    // Another connection writes requests to the running run, as `infermeter run` does; the
    // writer is never blocked by the dashboard reading.
    {
      results::ResultsWriter writer(path.toStdString());
      for (int i = 0; i < 50; ++i) {
        results::RequestRecord r;
        r.run_id = runs_.running;
        r.request_id = 1'000'000 + i;
        r.scheduled_ns = r.released_ns.emplace(0);
        r.sent_ns = 1'000'000;
        r.first_token_ns = 50'000'000;
        r.last_token_ns = r.done_ns = 90'000'000;
        r.output_tokens = 2;
        r.chunks = {{.time_ns = 50'000'000, .tokens = 1}, {.time_ns = 90'000'000, .tokens = 1}};
        writer.Add(std::move(r));
      }
      writer.Close();
    }
    QTRY_VERIFY_WITH_TIMEOUT(window.detail_view()->snapshot()->requests == before + 50,
                             5 * MainWindow::kLiveIntervalMs);
    window.SetLive(false);
    QVERIFY(!window.live());
  }

  void chartsAndTablesExport() {
    MainWindow window;
    QSignalSpy run(&window, &MainWindow::runLoaded);
    window.OpenDatabase(db_);
    window.ShowRun(runs_.ascend_chat.value);
    QTRY_COMPARE_WITH_TIMEOUT(run.count(), 1, kLoadTimeoutMs);
    window.show();
    QChartView* chart = window.detail_view()->time_charts().front();
    QString error;
    const QString png = dir_.filePath("chart.png"), svg = dir_.filePath("chart.svg"),
                  csv = dir_.filePath("figures.csv");
    QVERIFY2(SaveChartPng(chart, png, &error), qPrintable(error));
    QVERIFY2(SaveChartSvg(chart, svg, &error), qPrintable(error));
    QVERIFY2(SaveModelCsv(*window.detail_view()->figures_model(), csv, &error), qPrintable(error));
    QVERIFY(!QImage(png).isNull());
    QFile svg_file(svg);
    QVERIFY(svg_file.open(QIODevice::ReadOnly));
    const QByteArray svg_text = svg_file.readAll();
    QVERIFY(svg_text.contains("<svg"));
    QVERIFY(svg_text.contains("Output throughput"));  // the chart's title, as text in the vectors
    QVERIFY(QFileInfo(csv).size() > 100);
    // An unwritable place is an error naming the file, not a crash.
    QVERIFY(!SaveModelCsv(*window.detail_view()->figures_model(), "/proc/no/such.csv", &error));
    QVERIFY(error.contains("/proc/no/such.csv"));
    QVERIFY(!SaveChartPng(chart, "/proc/no/such.png", &error));
  }

  void themeNames() {
    Theme theme{};
    QVERIFY(ParseThemeName("dark", Theme::kLight, &theme));
    QCOMPARE(theme, Theme::kDark);
    QVERIFY(ParseThemeName("system", Theme::kLight, &theme));
    QCOMPARE(theme, Theme::kLight);
    QVERIFY(!ParseThemeName("purple", Theme::kLight, &theme));
  }

 private:
  // A copy of the fixture the test may change.
  QString Copy(const QString& name) {
    const QString path = dir_.filePath(name);
    QFile::remove(path);
    if (!QFile::copy(db_, path)) qFatal("cannot copy the fixture");
    return path;
  }

  QTemporaryDir dir_;
  QString db_;
  testing::FixtureRuns runs_;
};

QTEST_MAIN(DashboardWidgetsTest)
#include "dashboard_widgets_test.moc"
