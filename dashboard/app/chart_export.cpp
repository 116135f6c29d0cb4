#include "chart_export.h"

#include <QAction>
#include <QChartView>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPainter>
#include <QPixmap>
#include <QRegularExpression>
#include <QSvgGenerator>

namespace infermeter::dashboard_app {
namespace {

QString DefaultName(QChartView* view, const QString& suffix) {
  QString title = view->chart() ? view->chart()->title() : QString();
  title.replace(QRegularExpression("[^A-Za-z0-9]+"), "-");
  title = title.left(60).trimmed();
  return (title.isEmpty() ? QString("chart") : title.toLower()) + "." + suffix;
}

void ExportInteractively(QChartView* view, const QString& suffix) {
  const QString filter = suffix == "png" ? "PNG image (*.png)" : "SVG image (*.svg)";
  const QString path =
      QFileDialog::getSaveFileName(view, "Export chart", DefaultName(view, suffix), filter);
  if (path.isEmpty()) return;
  QString error;
  const bool ok =
      suffix == "png" ? SaveChartPng(view, path, &error) : SaveChartSvg(view, path, &error);
  if (!ok) QMessageBox::warning(view, "Export chart", error);
}

}  // namespace

bool SaveChartPng(QChartView* view, const QString& path, QString* error) {
  const QPixmap pixels = view->grab();
  if (pixels.isNull() || !pixels.save(path, "PNG")) {
    *error = QString("%1: could not write the PNG file (is the folder writable?)").arg(path);
    return false;
  }
  return true;
}

bool SaveChartSvg(QChartView* view, const QString& path, QString* error) {
  if (!QFileInfo(QFileInfo(path).absolutePath()).isWritable()) {
    *error = QString("%1: the folder is not writable").arg(path);
    return false;
  }
  QSvgGenerator svg;
  svg.setFileName(path);
  svg.setSize(view->size());
  svg.setViewBox(QRect(QPoint(0, 0), view->size()));
  svg.setTitle(view->chart() ? view->chart()->title() : QString());
  svg.setDescription("infermeter dashboard chart");
  QPainter painter;
  if (!painter.begin(&svg)) {
    *error = QString("%1: could not write the SVG file").arg(path);
    return false;
  }
  view->render(&painter);
  painter.end();
  if (QFileInfo(path).size() == 0) {
    *error = QString("%1: the SVG file is empty").arg(path);
    return false;
  }
  return true;
}

void AddChartExportActions(QChartView* view) {
  view->setContextMenuPolicy(Qt::ActionsContextMenu);
  auto* png = new QAction("Export as PNG…", view);
  QObject::connect(png, &QAction::triggered, view, [view] { ExportInteractively(view, "png"); });
  auto* svg = new QAction("Export as SVG…", view);
  QObject::connect(svg, &QAction::triggered, view, [view] { ExportInteractively(view, "svg"); });
  view->addAction(png);
  view->addAction(svg);
}

}  // namespace infermeter::dashboard_app
