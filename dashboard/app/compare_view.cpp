#include "compare_view.h"

#include <QChartView>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QScrollArea>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include "chart_factory.h"
#include "csv_export.h"
#include "infermeter/dashboard/time_panels.h"
#include "qt_text.h"
#include "runs_model.h"  // kSortRole
#include "table_model.h"
#include "tables.h"
#include "view_helpers.h"

namespace infermeter::dashboard_app {
namespace {

// The figures drawn as ratio bars (all are in the table).
constexpr std::string_view kBarFigures[] = {"output_tokens_per_s",
                                            "request_throughput_per_s",
                                            "goodput_requests_per_s",
                                            "ttft_p50_ms",
                                            "ttft_p99_ms",
                                            "tpot_p50_ms",
                                            "tpot_p99_ms",
                                            "mfu"};

constexpr dashboard::Normalisation kNormalisations[] = {
    dashboard::Normalisation::kNone, dashboard::Normalisation::kPerDevice,
    dashboard::Normalisation::kPerPeakFlops, dashboard::Normalisation::kPerWatt};

}  // namespace

CompareView::CompareView(QWidget* parent)
    : QWidget(parent),
      baseline_(new QComboBox(this)),
      normalisation_(new QComboBox(this)),
      warnings_(new QLabel(this)),
      tabs_(new QTabWidget(this)),
      bars_layout_(new QVBoxLayout),
      table_(new TableModel(this)),
      cdf_layout_(new QGridLayout),
      series_layout_(new QVBoxLayout) {
  for (dashboard::Normalisation n : kNormalisations) {
    normalisation_->addItem(QText(dashboard::ToString(n)));
  }
  connect(baseline_, &QComboBox::currentIndexChanged, this, [this] { Recompute(); });
  connect(normalisation_, &QComboBox::currentIndexChanged, this, [this] { Recompute(); });

  warnings_->setWordWrap(true);
  warnings_->setStyleSheet(
      "QLabel { background: #fff3cd; color: #664d03; border: 1px solid #ffe69c; padding: 6px; }");
  warnings_->hide();

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel("Baseline:"));
  controls->addWidget(baseline_, 1);
  controls->addWidget(new QLabel("Normalise throughput:"));
  controls->addWidget(normalisation_);

  // Figures: ratio bars above the exact table.
  auto* figures_page = new QSplitter(Qt::Vertical);
  auto* bars_holder = new QWidget;
  bars_holder->setLayout(bars_layout_);
  QTableView* table = MakeFigureTable(table_, this);
  figures_page->addWidget(bars_holder);
  figures_page->addWidget(table);
  tabs_->addTab(figures_page, "Figures");

  auto* cdf_holder = new QWidget;
  cdf_holder->setLayout(cdf_layout_);
  auto* cdf_scroll = new QScrollArea;
  cdf_scroll->setWidgetResizable(true);
  cdf_scroll->setWidget(cdf_holder);
  tabs_->addTab(cdf_scroll, "Latency CDFs");
  auto* series_holder = new QWidget;
  series_holder->setLayout(series_layout_);
  auto* series_scroll = new QScrollArea;
  series_scroll->setWidgetResizable(true);
  series_scroll->setWidget(series_holder);
  tabs_->addTab(series_scroll, "Over time");

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addWidget(warnings_);
  layout->addWidget(tabs_, 1);
  Clear("Select two or more runs in the Runs view and press Compare selected.");
}

void CompareView::Clear(const QString& message) {
  runs_.clear();
  snapshots_.clear();
  comparison_ = {};
  {
    const QSignalBlocker block(baseline_);
    baseline_->clear();
  }
  table_->SetTable({});
  ClearLayout(bars_layout_);
  ClearLayout(cdf_layout_);
  ClearLayout(series_layout_);
  bars_ = nullptr;
  bars_layout_->addWidget(new QLabel(message));
  warnings_->hide();
}

void CompareView::SetRuns(std::vector<dashboard::CatalogRun> runs,
                          std::vector<dashboard::RunSnapshot> snapshots) {
  runs_ = std::move(runs);
  snapshots_ = std::move(snapshots);
  {
    const QSignalBlocker block(baseline_);
    baseline_->clear();
    for (const dashboard::CatalogRun& run : runs_) {
      baseline_->addItem(RunTitle(run.run) + " — " + QText(run.hardware));
    }
    baseline_->setCurrentIndex(0);
  }
  BuildOverlays();
  Recompute();
}

void CompareView::SetBaseline(int index) { baseline_->setCurrentIndex(index); }

void CompareView::SetNormalisation(dashboard::Normalisation normalisation) {
  for (int i = 0; i < static_cast<int>(std::size(kNormalisations)); ++i) {
    if (kNormalisations[i] == normalisation) normalisation_->setCurrentIndex(i);
  }
}

void CompareView::Recompute() {
  if (runs_.empty()) return;
  const auto baseline = static_cast<std::size_t>(std::max(0, baseline_->currentIndex()));
  comparison_ = dashboard::CompareRuns(
      runs_, baseline, kNormalisations[std::max(0, normalisation_->currentIndex())]);
  table_->SetTable(ComparisonTable(comparison_, runs_));

  QStringList warnings;
  for (const std::string& w : comparison_.warnings) warnings << "⚠ " + QText(w).toHtmlEscaped();
  warnings_->setText(warnings.join("<br>"));
  warnings_->setVisible(!warnings.isEmpty());

  // Ratio bars: one group per figure present in the baseline, one bar per run.
  QStringList categories, sets;
  std::vector<std::vector<double>> values(runs_.size());
  for (const dashboard::ComparedFigure& figure : comparison_.figures) {
    if (std::find(std::begin(kBarFigures), std::end(kBarFigures), figure.metric) ==
        std::end(kBarFigures)) {
      continue;
    }
    if (!figure.ratios.at(baseline)) continue;
    categories << QText(figure.label) + (figure.higher_is_better ? " ↑" : " ↓");
    for (std::size_t i = 0; i < runs_.size(); ++i)
      values[i].push_back(figure.ratios[i].value_or(0));
  }
  for (const dashboard::CatalogRun& run : runs_)
    sets << RunTitle(run.run) + " — " + QText(run.hardware);
  ClearLayout(bars_layout_);
  bars_ =
      MakeChartView(MakeBarChart(QString("Ratio to %1 (↑ higher is better, ↓ lower is better; %2)")
                                     .arg(RunTitle(runs_[baseline].run),
                                          QText(dashboard::ToString(comparison_.normalisation))),
                                 categories, sets, values, "× baseline"),
                    false);
  bars_->setMinimumHeight(320);
  bars_layout_->addWidget(bars_);
  emit comparisonChanged();
}

void CompareView::BuildOverlays() {
  ClearLayout(cdf_layout_);
  ClearLayout(series_layout_);
  const auto title = [this](std::size_t i) {
    return RunTitle(runs_[i].run) + " — " + QText(runs_[i].hardware);
  };
  const std::pair<const char*, dashboard::LatencyCdf dashboard::RunSnapshot::*> latencies[] = {
      {"TTFT", &dashboard::RunSnapshot::ttft},
      {"TPOT", &dashboard::RunSnapshot::tpot},
      {"ITL", &dashboard::RunSnapshot::itl},
      {"E2E", &dashboard::RunSnapshot::e2e}};
  int at = 0;
  for (const auto& [name, member] : latencies) {
    std::vector<ChartLine> lines;
    for (std::size_t i = 0; i < snapshots_.size(); ++i) {
      lines.push_back({.name = title(i), .points = (snapshots_[i].*member).points});
    }
    cdf_layout_->addWidget(
        MakeChartView(
            MakeCdfChart(QString("%1 CDF").arg(name), QString("%1 (ms)").arg(name), lines), false),
        at / 2, at % 2);
    ++at;
  }
  // Over time: each panel with every run's lines on one axis.
  std::vector<dashboard::NamedSeries> named;
  for (std::size_t i = 0; i < snapshots_.size(); ++i) {
    named.push_back({.run_name = title(i).toStdString(), .series = &snapshots_[i].series});
  }
  for (const dashboard::TimePanel& panel : dashboard::OverlaidTimePanels(named)) {
    std::vector<ChartLine> lines;
    for (const dashboard::PanelLine& line : panel.lines) {
      lines.push_back({.name = QText(line.name), .points = line.points});
    }
    QChartView* view = MakeChartView(
        MakeLineChart(QText(panel.title), "time (s)", QText(panel.y_unit), lines), true);
    view->setMinimumHeight(260);
    series_layout_->addWidget(view);
  }
}

}  // namespace infermeter::dashboard_app
