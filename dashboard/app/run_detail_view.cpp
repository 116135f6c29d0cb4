#include "run_detail_view.h"

#include <QChartView>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>

#include "chart_factory.h"
#include "csv_export.h"
#include "infermeter/dashboard/figure_format.h"
#include "infermeter/dashboard/time_panels.h"
#include "qt_text.h"
#include "runs_model.h"  // kSortRole
#include "session_timeline.h"
#include "synced_time_axis.h"
#include "table_model.h"
#include "tables.h"
#include "view_helpers.h"

namespace infermeter::dashboard_app {
namespace {

QWidget* ScrollPage(QLayout* content, QWidget* parent) {
  auto* inner = new QWidget;
  inner->setLayout(content);
  auto* scroll = new QScrollArea(parent);
  scroll->setWidgetResizable(true);
  scroll->setWidget(inner);
  return scroll;
}

QString HeaderText(const dashboard::RunSnapshot& s) {
  const results::RunRow& run = s.run;
  QString validity = "-";
  if (run.validity) {
    validity = *run.validity == results::Validity::kValid ? "VALID" : "INVALID";
    if (!run.validity_reasons.empty()) validity += ": " + QText(run.validity_reasons.front());
  }
  return QString("<b>%1</b> — %2, %3 · engine %4 · model %5 · workload %6 · %7 requests")
      .arg(RunTitle(run).toHtmlEscaped(), QText(results::ToString(run.status)),
           validity.toHtmlEscaped(), QText(run.info.engine).toHtmlEscaped(),
           QText(run.info.model).toHtmlEscaped(), QText(run.info.workload_name).toHtmlEscaped())
      .arg(s.requests);
}

}  // namespace

RunDetailView::RunDetailView(QWidget* parent)
    : QWidget(parent),
      header_(new QLabel(this)),
      tabs_(new QTabWidget(this)),
      time_layout_(new QVBoxLayout),
      time_empty_(new QLabel),
      time_axis_(new SyncedTimeAxis(this)),
      latency_layout_(new QGridLayout),
      scatter_layout_(new QVBoxLayout),
      sessions_(new SessionTimeline),
      errors_(new TableModel(this)),
      figures_(new TableModel(this)),
      config_(new TableModel(this)) {
  header_->setTextFormat(Qt::RichText);
  header_->setWordWrap(true);

  // Over time: a row of controls, then the stacked charts.
  auto* time_page = new QWidget;
  auto* time_page_layout = new QVBoxLayout(time_page);
  auto* controls = new QHBoxLayout;
  auto* reset = new QPushButton("Reset zoom");
  connect(reset, &QPushButton::clicked, time_axis_, &SyncedTimeAxis::ResetZoom);
  controls->addWidget(new QLabel("Drag across any chart to zoom all of them; right click zooms "
                                 "out. Seconds from the run's first request."),
                      1);
  controls->addWidget(reset);
  time_page_layout->addLayout(controls);
  time_page_layout->addWidget(ScrollPage(time_layout_, time_page), 1);
  tabs_->addTab(time_page, "Over time");

  tabs_->addTab(ScrollPage(latency_layout_, this), "Latency");
  auto* scatter_page = new QWidget;
  scatter_page->setLayout(scatter_layout_);
  tabs_->addTab(scatter_page, "Input vs TTFT");
  auto* sessions_scroll = new QScrollArea(this);
  sessions_scroll->setWidgetResizable(true);
  sessions_scroll->setWidget(sessions_);
  tabs_->addTab(sessions_scroll, "Sessions");
  tabs_->addTab(MakeFigureTable(errors_, this), "Errors");
  tabs_->addTab(MakeFigureTable(figures_, this), "Figures");
  tabs_->addTab(MakeFigureTable(config_, this), "Configuration");

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(header_);
  layout->addWidget(tabs_, 1);
  Clear("Open a run from the Runs view (double-click, or select and press Open).");
}

void RunDetailView::Clear(const QString& message) {
  snapshot_.reset();
  header_->setText(message.toHtmlEscaped());
  time_axis_->Clear();
  time_charts_.clear();
  ClearLayout(time_layout_);
  ClearLayout(latency_layout_);
  ClearLayout(scatter_layout_);
  sessions_->SetSessions({});
  errors_->SetTable({});
  figures_->SetTable({});
  config_->SetTable({});
}

void RunDetailView::SetSnapshot(dashboard::RunSnapshot snapshot) {
  const bool same_run = snapshot_ && snapshot_->run.id == snapshot.run.id;
  header_->setText(HeaderText(snapshot));
  BuildTimeCharts(snapshot, same_run);
  BuildLatencyCharts(snapshot);
  BuildScatter(snapshot);
  sessions_->SetSessions(snapshot.sessions);
  errors_->SetTable(ErrorsTable(snapshot.errors_by_class, snapshot.requests));
  figures_->SetTable(FiguresTable(snapshot.metrics));
  config_->SetTable(RunConfigTable(snapshot.run));
  snapshot_ = std::move(snapshot);
}

void RunDetailView::BuildTimeCharts(const dashboard::RunSnapshot& snapshot, bool keep_zoom) {
  const double zoom_min = time_axis_->min(), zoom_max = time_axis_->max();
  time_axis_->Clear();
  time_charts_.clear();
  ClearLayout(time_layout_);

  const std::vector<dashboard::TimePanel> panels = dashboard::TimePanels(snapshot.series);
  double end_s = 0;
  for (const dashboard::TimePanel& panel : panels) {
    for (const dashboard::PanelLine& line : panel.lines) {
      if (!line.points.empty()) end_s = std::max(end_s, line.points.back().x);
    }
  }
  if (panels.empty()) {
    time_layout_->addWidget(new QLabel("No collector samples were stored for this run."));
    return;
  }
  const bool was_zoomed = keep_zoom && (zoom_min > 0 || zoom_max < end_s);
  for (const dashboard::TimePanel& panel : panels) {
    std::vector<ChartLine> lines;
    for (const dashboard::PanelLine& line : panel.lines) {
      lines.push_back({.name = QText(line.name), .points = line.points});
    }
    QChart* chart = MakeLineChart(QText(panel.title), "time (s)", QText(panel.y_unit), lines);
    QChartView* view = MakeChartView(chart, /*zoomable=*/true);
    view->setMinimumHeight(200);
    time_layout_->addWidget(view);
    time_charts_.push_back(view);
    time_axis_->Add(XAxisOf(chart));
  }
  time_axis_->SetFullRange(0, end_s);
  if (was_zoomed) {
    if (QValueAxis* axis = XAxisOf(time_charts_.front()->chart()))
      axis->setRange(zoom_min, zoom_max);
  }
}

void RunDetailView::BuildLatencyCharts(const dashboard::RunSnapshot& snapshot) {
  ClearLayout(latency_layout_);
  const std::pair<const char*, const dashboard::LatencyCdf*> latencies[] = {
      {"TTFT", &snapshot.ttft},
      {"TPOT", &snapshot.tpot},
      {"ITL", &snapshot.itl},
      {"E2E", &snapshot.e2e}};
  int row = 0;
  for (const auto& [name, cdf] : latencies) {
    QString what = QString("%1 (%2 %3)")
                       .arg(name)
                       .arg(cdf->count)
                       .arg(QString(name) == "ITL" ? "token gaps" : "requests");
    if (cdf->sampled) what += ", from an even sample of requests";
    const QString x_title = QString("%1 (ms)").arg(name);
    latency_layout_->addWidget(
        MakeChartView(
            MakeCdfChart(what + " — CDF", x_title, {{.name = name, .points = cdf->points}}), false),
        row, 0);
    latency_layout_->addWidget(MakeChartView(MakeHistogramChart(QString("%1 — histogram").arg(name),
                                                                x_title, cdf->histogram),
                                             false),
                               row, 1);
    ++row;
  }
}

void RunDetailView::BuildScatter(const dashboard::RunSnapshot& snapshot) {
  ClearLayout(scatter_layout_);
  scatter_layout_->addWidget(
      MakeChartView(MakeScatterChart(QString("Input length vs TTFT (%1 completed requests shown)")
                                         .arg(snapshot.input_tokens_vs_ttft_ms.size()),
                                     "input tokens", "TTFT (ms)", snapshot.input_tokens_vs_ttft_ms),
                    false));
}

}  // namespace infermeter::dashboard_app
