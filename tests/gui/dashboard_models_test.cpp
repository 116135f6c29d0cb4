// Every model of the dashboard under QAbstractItemModelTester, filled from a real results file
// (the fixture: runs on H100 and Ascend 910B hardware), and what the tables say checked against
// what is stored. Runs under QT_QPA_PLATFORM=offscreen.

#include <QAbstractItemModelTester>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QtTest>

#include "csv_export.h"
#include "fixture_db.h"
#include "infermeter/dashboard/comparison.h"
#include "infermeter/dashboard/run_catalog.h"
#include "infermeter/dashboard/run_snapshot.h"
#include "runs_model.h"
#include "table_model.h"
#include "tables.h"

using namespace infermeter;
using namespace infermeter::dashboard_app;

class DashboardModelsTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    db_ = dir_.filePath("fixture.db").toStdString();
    runs_ = testing::WriteDashboardFixture(db_);
    catalog_ = dashboard::LoadRunCatalog(db_);
  }

  void runsModelPassesTheModelTester() {
    RunsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.SetCatalog(catalog_);
    QCOMPARE(model.rowCount(), static_cast<int>(catalog_.runs.size()));
    QCOMPARE(model.columnCount(),
             RunsModel::kFirstFigure + static_cast<int>(dashboard::KeyFigures().size()));
    model.SetCatalog({});  // an emptied file
    QCOMPARE(model.rowCount(), 0);
    model.SetCatalog(catalog_);
  }

  void runsModelShowsStoredFiguresAndSortsByValue() {
    RunsModel model;
    model.SetCatalog(catalog_);
    const int row = model.RowOf(runs_.h100_chat.value);
    QVERIFY(row >= 0);
    const dashboard::CatalogRun& run = model.RunAt(row);
    const QModelIndex throughput = model.index(row, RunsModel::kFirstFigure);  // Output tok/s
    QCOMPARE(model.data(throughput, kSortRole).toDouble(), *run.Metric("output_tokens_per_s"));
    QVERIFY(model.data(throughput).toString().endsWith("tokens/s"));
    QCOMPARE(model.data(model.index(row, RunsModel::kHardware)).toString(),
             QString("8x NVIDIA H100 80GB HBM3"));
    QCOMPARE(model.data(model.index(row, 0), kRunIdRole).toLongLong(), runs_.h100_chat.value);

    // Sorting a proxy by the figure orders by the stored value, not by the text.
    QSortFilterProxyModel proxy;
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    proxy.setSourceModel(&model);
    proxy.setSortRole(kSortRole);
    proxy.sort(RunsModel::kFirstFigure, Qt::DescendingOrder);
    double previous = 1e300;
    for (int r = 0; r < proxy.rowCount(); ++r) {
      const QVariant v = proxy.index(r, RunsModel::kFirstFigure).data(kSortRole);
      if (!v.isValid()) continue;  // runs without the figure sort apart
      QVERIFY(v.toDouble() <= previous);
      previous = v.toDouble();
    }

    // Filtering on any column: the hardware name picks the Ascend runs.
    proxy.setFilterKeyColumn(-1);
    proxy.setFilterRegularExpression(
        QRegularExpression("910B", QRegularExpression::CaseInsensitiveOption));
    QCOMPARE(proxy.rowCount(), 2);
  }

  void tableModelsPassTheModelTester() {
    const dashboard::RunSnapshot snapshot =
        dashboard::LoadRunSnapshot(db_, runs_.h100_failed_requests);
    TableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);

    model.SetTable(FiguresTable(snapshot.metrics));
    QCOMPARE(model.rowCount(), static_cast<int>(snapshot.metrics.size()));
    model.SetTable(ErrorsTable(snapshot.errors_by_class, snapshot.requests));
    QCOMPARE(model.rowCount(), static_cast<int>(snapshot.errors_by_class.size()));
    QVERIFY(model.rowCount() >= 2);  // the fixture fails requests in two classes
    std::int64_t failed = 0;
    for (int r = 0; r < model.rowCount(); ++r)
      failed += model.index(r, 1).data(kSortRole).toLongLong();
    const auto stored_failed =
        std::find_if(snapshot.metrics.begin(), snapshot.metrics.end(),
                     [](const auto& m) { return m.name == "requests_failed"; });
    QVERIFY(stored_failed != snapshot.metrics.end());
    QCOMPARE(static_cast<double>(failed), stored_failed->value);

    model.SetTable(RunConfigTable(snapshot.run));
    bool has_hardware = false;
    for (int r = 0; r < model.rowCount(); ++r) {
      has_hardware =
          has_hardware || model.index(r, 0).data().toString().startsWith("hardware.gpus[0]");
    }
    QVERIFY(has_hardware);
    model.SetTable({});
    QCOMPARE(model.rowCount(), 0);
  }

  void comparisonTableGivesRatiosToTheBaseline() {
    std::vector<dashboard::CatalogRun> runs;
    for (RunId id : {runs_.h100_chat, runs_.ascend_chat}) {
      runs.push_back(catalog_.runs.at(
          static_cast<std::size_t>(std::find_if(catalog_.runs.begin(), catalog_.runs.end(),
                                                [id](const auto& r) { return r.run.id == id; }) -
                                   catalog_.runs.begin())));
    }
    const dashboard::Comparison comparison =
        dashboard::CompareRuns(runs, 0, dashboard::Normalisation::kNone);
    TableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.SetTable(ComparisonTable(comparison, runs));
    QCOMPARE(model.columnCount(), 2 + 2 * 2);
    QCOMPARE(model.rowCount(), static_cast<int>(comparison.figures.size()));
    for (int r = 0; r < model.rowCount(); ++r) {
      if (model.index(r, 0).data().toString() != "Output tokens/s") continue;
      QCOMPARE(model.index(r, 3).data(kSortRole).toDouble(), 1.0);  // the baseline against itself
      const double ratio = model.index(r, 5).data(kSortRole).toDouble();
      QCOMPARE(ratio,
               *runs[1].Metric("output_tokens_per_s") / *runs[0].Metric("output_tokens_per_s"));
      return;
    }
    QFAIL("no Output tokens/s row");
  }

  void csvHasExactValuesAndTheHeader() {
    const dashboard::RunSnapshot snapshot = dashboard::LoadRunSnapshot(db_, runs_.h100_chat);
    TableModel model;
    model.SetTable(FiguresTable(snapshot.metrics));
    const QString csv = QString::fromStdString(ModelToCsv(model));
    const QStringList lines = csv.split("\r\n", Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), static_cast<int>(snapshot.metrics.size()) + 1);
    QCOMPARE(lines.front(), QString("Figure,Value,Unit"));
    for (const results::RunMetric& m : snapshot.metrics) {
      const QString expected =
          QString("%1,%2,").arg(QString::fromStdString(m.name), QString::number(m.value, 'g', 17));
      QVERIFY2(csv.contains(expected), qPrintable(expected));
    }
  }

 private:
  QTemporaryDir dir_;
  std::string db_;
  testing::FixtureRuns runs_;
  dashboard::RunCatalog catalog_;
};

QTEST_MAIN(DashboardModelsTest)
#include "dashboard_models_test.moc"
