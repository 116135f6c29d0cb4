#pragma once
// Builds the charts the views show from the core's points, with the readable defaults users
// expect: units on both axes, a legend naming every line, the theme's colours. Each returned
// chart is owned by the caller (usually handed to a QChartView at once).

#include <QChart>
#include <QChartView>
#include <QString>
#include <QStringList>
#include <QValueAxis>

#include <vector>

#include "infermeter/dashboard/downsample.h"

namespace infermeter::dashboard_app {

struct ChartLine {
  QString name;
  std::vector<dashboard::Point> points;
};

// Lines over a numeric x axis (time series, CDFs).
QChart* MakeLineChart(const QString& title, const QString& x_title, const QString& y_title,
                      const std::vector<ChartLine>& lines);
// An empirical CDF: x in ms, y the fraction at or below, 0 to 1.
QChart* MakeCdfChart(const QString& title, const QString& x_title,
                     const std::vector<ChartLine>& lines);
// A histogram as filled steps; `above` (values beyond the last bin) goes in the title.
QChart* MakeHistogramChart(const QString& title, const QString& x_title,
                           const dashboard::Histogram& histogram);
QChart* MakeScatterChart(const QString& title, const QString& x_title, const QString& y_title,
                         const std::vector<dashboard::Point>& points);
// Grouped bars: one group per category (figure), one bar per set (run), bar height `values`
// [set][category]; a reference line at 1 when `ratio_axis`.
QChart* MakeBarChart(const QString& title, const QStringList& categories, const QStringList& sets,
                     const std::vector<std::vector<double>>& values, const QString& y_title);

// A view for `chart` (taking it over): antialiased, horizontal rubber-band zoom when `zoomable`
// (right click zooms out), and a context menu to reset the zoom and export PNG/SVG.
QChartView* MakeChartView(QChart* chart, bool zoomable, QWidget* parent = nullptr);

// Ticks at round steps (1, 2 or 5 x 10^n) anchored at 0, about eight over the axis's range.
void SetNiceTicks(QValueAxis* axis);

// The chart's numeric x axis, if it has one.
QValueAxis* XAxisOf(QChart* chart);

}  // namespace infermeter::dashboard_app
