#pragma once
// "Export": any chart to PNG (pixels as on screen, at the screen's device pixel ratio) or SVG
// (vectors, for papers and slides), from the chart's context menu.

#include <QString>

class QChartView;

namespace infermeter::dashboard_app {

// Each returns false with `error` naming the file and why when it cannot be written.
bool SaveChartPng(QChartView* view, const QString& path, QString* error);
bool SaveChartSvg(QChartView* view, const QString& path, QString* error);

// Adds "Export as PNG…" and "Export as SVG…" to the view's context menu.
void AddChartExportActions(QChartView* view);

}  // namespace infermeter::dashboard_app
