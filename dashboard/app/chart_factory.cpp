#include "chart_factory.h"

#include <QAction>
#include <QAreaSeries>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QLegendMarker>
#include <QLineSeries>
#include <QScatterSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

#include "chart_export.h"
#include "theme.h"

namespace infermeter::dashboard_app {
namespace {

QChart* NewChart(const QString& title) {
  auto* chart = new QChart;
  chart->setTheme(ChartTheme());
  chart->setTitle(title);
  chart->setAnimationOptions(QChart::NoAnimation);  // a million points must not animate
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->setMargins(QMargins(4, 4, 4, 4));
  return chart;
}

QValueAxis* NewAxis(const QString& title) {
  auto* axis = new QValueAxis;
  axis->setTitleText(title);
  axis->setLabelFormat("%.6g");
  return axis;
}

}  // namespace

void SetNiceTicks(QValueAxis* axis) {
  const double span = axis->max() - axis->min();
  if (!(span > 0)) return;
  const double raw = span / 8;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * power;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  }
  axis->setTickType(QValueAxis::TicksDynamic);
  axis->setTickAnchor(0);
  axis->setTickInterval(step);
}

namespace {

QList<QPointF> ToQPoints(const std::vector<dashboard::Point>& points) {
  QList<QPointF> out;
  out.reserve(static_cast<qsizetype>(points.size()));
  for (const dashboard::Point& p : points) out.append(QPointF(p.x, p.y));
  return out;
}

// Attaches x and y axes spanning every series of `chart`, from 0 when all values are positive.
void AttachAxes(QChart* chart, QValueAxis* x, QValueAxis* y, double min_x, double max_x,
                double min_y, double max_y) {
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* series : chart->series()) {
    series->attachAxis(x);
    series->attachAxis(y);
  }
  if (min_x > max_x) min_x = max_x = 0;  // no points
  if (min_y > max_y) min_y = max_y = 0;
  x->setRange(min_x, max_x > min_x ? max_x : min_x + 1);
  y->setRange(std::min(0.0, min_y), max_y > 0 ? max_y * 1.05 : 1);
  y->applyNiceNumbers();  // ticks at 0, 5, 10, ... rather than at fractions of the data's range
  SetNiceTicks(x);
}

struct Bounds {
  double min_x = 1e300, max_x = -1e300, min_y = 1e300, max_y = -1e300;
  void Add(const std::vector<dashboard::Point>& points) {
    for (const dashboard::Point& p : points) {
      min_x = std::min(min_x, p.x);
      max_x = std::max(max_x, p.x);
      min_y = std::min(min_y, p.y);
      max_y = std::max(max_y, p.y);
    }
  }
};

}  // namespace

QChart* MakeLineChart(const QString& title, const QString& x_title, const QString& y_title,
                      const std::vector<ChartLine>& lines) {
  QChart* chart = NewChart(title);
  Bounds bounds;
  for (const ChartLine& line : lines) {
    auto* series = new QLineSeries;
    series->setName(line.name);
    series->replace(ToQPoints(line.points));
    chart->addSeries(series);
    bounds.Add(line.points);
  }
  AttachAxes(chart, NewAxis(x_title), NewAxis(y_title), bounds.min_x, bounds.max_x, bounds.min_y,
             bounds.max_y);
  chart->legend()->setVisible(lines.size() > 1);
  return chart;
}

QChart* MakeCdfChart(const QString& title, const QString& x_title,
                     const std::vector<ChartLine>& lines) {
  QChart* chart = MakeLineChart(title, x_title, "fraction ≤ x", lines);
  if (auto* y = qobject_cast<QValueAxis*>(chart->axes(Qt::Vertical).value(0))) {
    y->setRange(0, 1);
    y->setLabelFormat("%.2f");
  }
  chart->legend()->setVisible(true);
  return chart;
}

QChart* MakeHistogramChart(const QString& title, const QString& x_title,
                           const dashboard::Histogram& histogram) {
  QString full_title = title;
  if (histogram.above > 0) {
    full_title += QString(" (%1 above the 99.5th percentile not shown)").arg(histogram.above);
  }
  QChart* chart = NewChart(full_title);
  auto* upper = new QLineSeries;
  double max_count = 0;
  const double width = histogram.bin_width > 0 ? histogram.bin_width : 1;
  for (std::size_t i = 0; i < histogram.counts.size(); ++i) {
    const double left = histogram.from + width * static_cast<double>(i);
    const auto count = static_cast<double>(histogram.counts[i]);
    upper->append(left, count);
    upper->append(left + width, count);
    max_count = std::max(max_count, count);
  }
  auto* lower = new QLineSeries;
  if (upper->count() > 0) {
    lower->append(upper->at(0).x(), 0);
    lower->append(upper->at(upper->count() - 1).x(), 0);
  }
  auto* area = new QAreaSeries(upper, lower);
  area->setName("requests");
  chart->addSeries(area);
  const double from = histogram.from;
  const double to = histogram.from + width * static_cast<double>(histogram.counts.size());
  AttachAxes(chart, NewAxis(x_title), NewAxis("count"), from, to, 0, max_count);
  chart->legend()->setVisible(false);
  return chart;
}

QChart* MakeScatterChart(const QString& title, const QString& x_title, const QString& y_title,
                         const std::vector<dashboard::Point>& points) {
  QChart* chart = NewChart(title);
  auto* series = new QScatterSeries;
  series->setName("completed requests");
  series->setMarkerSize(5);
  series->setBorderColor(Qt::transparent);
  series->replace(ToQPoints(points));
  chart->addSeries(series);
  Bounds bounds;
  bounds.Add(points);
  AttachAxes(chart, NewAxis(x_title), NewAxis(y_title), std::min(0.0, bounds.min_x), bounds.max_x,
             bounds.min_y, bounds.max_y);
  chart->legend()->setVisible(false);
  return chart;
}

QChart* MakeBarChart(const QString& title, const QStringList& categories, const QStringList& sets,
                     const std::vector<std::vector<double>>& values, const QString& y_title) {
  QChart* chart = NewChart(title);
  auto* series = new QBarSeries;
  double max_value = 0;
  for (qsizetype s = 0; s < sets.size(); ++s) {
    auto* set = new QBarSet(sets[s]);
    set->setLabelColor(CurrentTheme() == Theme::kDark ? Qt::white : Qt::black);
    for (double v : values.at(static_cast<std::size_t>(s))) {
      *set << v;
      max_value = std::max(max_value, v);
    }
    series->append(set);
  }
  series->setLabelsVisible(true);
  series->setLabelsFormat("@value×");
  series->setLabelsPrecision(3);
  series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
  chart->addSeries(series);
  auto* x = new QBarCategoryAxis;
  x->append(categories);
  auto* y = NewAxis(y_title);
  y->setRange(0, max_value > 0 ? max_value * 1.15 : 1);
  y->applyNiceNumbers();
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  series->attachAxis(x);
  series->attachAxis(y);
  return chart;
}

QChartView* MakeChartView(QChart* chart, bool zoomable, QWidget* parent) {
  auto* view = new QChartView(chart, parent);
  view->setRenderHint(QPainter::Antialiasing);
  view->setMinimumHeight(220);
  if (zoomable) {
    view->setRubberBand(QChartView::HorizontalRubberBand);
    auto* reset = new QAction("Reset zoom", view);
    QObject::connect(reset, &QAction::triggered, chart, [chart] { chart->zoomReset(); });
    view->addAction(reset);
  }
  AddChartExportActions(view);
  return view;
}

QValueAxis* XAxisOf(QChart* chart) {
  return qobject_cast<QValueAxis*>(chart->axes(Qt::Horizontal).value(0));
}

}  // namespace infermeter::dashboard_app
