// infermeter-dashboard [DB]: review runs at the desk. See dashboard/README.md.
//
//   infermeter-dashboard results.db                     the Runs view of a results file
//   infermeter-dashboard --run 7 results.db             open run 7 in the Run detail view
//   infermeter-dashboard --compare 3,7 results.db       compare runs 3 and 7
//   infermeter-dashboard --live results.db              follow a run while it is written
//   infermeter-dashboard --screenshot DIR results.db    render every view to DIR/*.png and exit
//
// Under Xvfb (no display): xvfb-run -a infermeter-dashboard results.db

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTimer>

#include <cstdio>
#include <cstdlib>

#include "main_window.h"
#include "theme.h"

using infermeter::dashboard_app::MainWindow;
using infermeter::dashboard_app::Theme;

namespace {

int Fail(const QString& message) {
  std::fprintf(stderr, "infermeter-dashboard: %s\n", qPrintable(message));
  return 2;
}

// "3,7" -> {3, 7}; false on anything that is not a comma-separated list of run ids.
bool ParseIds(const QString& text, QList<qint64>* ids) {
  for (const QString& part : text.split(',', Qt::SkipEmptyParts)) {
    bool ok = false;
    const qint64 id = part.trimmed().toLongLong(&ok);
    if (!ok || id <= 0) return false;
    ids->append(id);
  }
  return !ids->isEmpty();
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("infermeter-dashboard");
  QApplication::setApplicationVersion(INFERMETER_DASHBOARD_VERSION);

  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Review infermeter runs: the Runs table, one run in detail, runs compared across hardware.");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument(
      "DB", "Results file (default: $INFERMETER_DB, else infermeter.db). Opened read-only.");
  const QCommandLineOption theme({"t", "theme"}, "system (default), light or dark.", "THEME",
                                 "system");
  const QCommandLineOption run("run", "Open run ID in the Run detail view.", "ID");
  const QCommandLineOption compare("compare", "Compare runs ID,ID[,...].", "IDS");
  const QCommandLineOption live("live", "Follow the file as runs are written (1 s).");
  const QCommandLineOption screenshot(
      "screenshot", "Render every view to PNG files in DIR, then exit (0 when all loaded).", "DIR");
  parser.addOptions({theme, run, compare, live, screenshot});
  parser.process(app);

  Theme chosen{};
  if (!infermeter::dashboard_app::ParseThemeName(
          parser.value(theme), infermeter::dashboard_app::SystemTheme(), &chosen)) {
    return Fail(
        QString("--theme: expected system, light or dark, got '%1'").arg(parser.value(theme)));
  }
  infermeter::dashboard_app::ApplyTheme(app, chosen);

  qint64 run_id = -1;
  if (parser.isSet(run)) {
    bool ok = false;
    run_id = parser.value(run).toLongLong(&ok);
    if (!ok || run_id <= 0)
      return Fail(QString("--run: expected a run id, got '%1'").arg(parser.value(run)));
  }
  QList<qint64> compare_ids;
  if (parser.isSet(compare) &&
      (!ParseIds(parser.value(compare), &compare_ids) || compare_ids.size() < 2)) {
    return Fail(QString("--compare: expected two or more run ids separated by commas, got '%1'")
                    .arg(parser.value(compare)));
  }
  const QStringList positional = parser.positionalArguments();
  if (positional.size() > 1) return Fail("expected at most one results file");
  QString db = positional.value(0);
  if (db.isEmpty()) db = qEnvironmentVariable("INFERMETER_DB", "infermeter.db");

  MainWindow window;
  window.OpenDatabase(db);  // a bad file shows its error in the window, which stays usable
  if (run_id > 0) window.ShowRun(run_id);
  if (!compare_ids.isEmpty()) window.CompareRuns(compare_ids);
  if (parser.isSet(live)) window.SetLive(true);
  window.show();

  if (parser.isSet(screenshot)) {
    QString error;
    QObject::connect(&window, &MainWindow::loadFailed, [&error](const QString& m) { error = m; });
    window.WaitForLoads();
    const QStringList files = window.SaveScreenshots(parser.value(screenshot));
    for (const QString& file : files) std::printf("%s\n", qPrintable(file));
    if (!error.isEmpty()) return Fail(error);
    return files.isEmpty() ? Fail("no screenshot could be written") : 0;
  }
  return QApplication::exec();
}
