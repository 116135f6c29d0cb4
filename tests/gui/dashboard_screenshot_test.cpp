// Renders every view and tab of the dashboard for the fixture results file (runs on H100 and
// Ascend 910B hardware), in the light and the dark theme, to PNG files in the test's output
// folder (INFERMETER_SCREENSHOT_DIR, else ./dashboard-screenshots), for a person to look at and
// for this test to check: each image is window-sized and has real content, not a blank window.

#include <QApplication>
#include <QDir>
#include <QImage>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "fixture_db.h"
#include "main_window.h"
#include "theme.h"

using namespace infermeter;
using namespace infermeter::dashboard_app;

namespace {

// Distinct colours in a grid of sampled pixels: a blank or half-drawn window has a handful.
int DistinctColours(const QImage& image) {
  QSet<QRgb> colours;
  for (int y = 0; y < image.height(); y += 3) {
    for (int x = 0; x < image.width(); x += 3) colours.insert(image.pixel(x, y));
  }
  return static_cast<int>(colours.size());
}

}  // namespace

class DashboardScreenshotTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    db_ = dir_.filePath("fixture.db");
    runs_ = testing::WriteDashboardFixture(db_.toStdString());
    out_ = qEnvironmentVariable("INFERMETER_SCREENSHOT_DIR", "dashboard-screenshots");
  }

  void everyViewInBothThemes_data() {
    QTest::addColumn<int>("theme");
    QTest::newRow("light") << static_cast<int>(Theme::kLight);
    QTest::newRow("dark") << static_cast<int>(Theme::kDark);
  }

  void everyViewInBothThemes() {
    QFETCH(int, theme);
    ApplyTheme(*qApp, static_cast<Theme>(theme));
    MainWindow window;
    window.resize(1600, 1000);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    window.OpenDatabase(db_);
    window.ShowRun(runs_.h100_agentic.value);
    window.CompareRuns({runs_.h100_chat.value, runs_.ascend_chat.value});
    window.WaitForLoads();
    QCOMPARE(failed.count(), 0);

    const QString dir = QDir(out_).filePath(QTest::currentDataTag());
    const QStringList files = window.SaveScreenshots(dir);
    // Runs, 7 run-detail tabs, 3 compare tabs.
    QCOMPARE(files.size(), 1 + 7 + 3);
    for (const QString& file : files) {
      const QImage image(file);
      QVERIFY2(!image.isNull(), qPrintable(file));
      QVERIFY2(image.width() >= 1600 && image.height() >= 1000, qPrintable(file));
      QVERIFY2(DistinctColours(image) >= 40,
               qPrintable(QString("%1: only %2 colours").arg(file).arg(DistinctColours(image))));
    }
    qInfo("screenshots in %s", qPrintable(QDir(dir).absolutePath()));
  }

 private:
  QTemporaryDir dir_;
  QString db_, out_;
  testing::FixtureRuns runs_;
};

QTEST_MAIN(DashboardScreenshotTest)
#include "dashboard_screenshot_test.moc"
