#include "runs_model.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QString>

#include "infermeter/dashboard/figure_format.h"
#include "qt_text.h"

namespace infermeter::dashboard_app {
namespace {

QString LabelsText(const std::map<std::string, std::string>& labels) {
  QStringList parts;
  for (const auto& [key, value] : labels) parts << QText(key) + "=" + QText(value);
  return parts.join(", ");
}

QString ValidityText(const results::RunRow& run) {
  if (!run.validity) return "-";
  return *run.validity == results::Validity::kValid ? "VALID" : "INVALID";
}

QDateTime Time(std::int64_t unix_ns) { return QDateTime::fromMSecsSinceEpoch(unix_ns / 1000000); }

}  // namespace

RunsModel::RunsModel(QObject* parent) : QAbstractTableModel(parent) {}

void RunsModel::SetCatalog(dashboard::RunCatalog catalog) {
  beginResetModel();
  catalog_ = std::move(catalog);
  endResetModel();
}

int RunsModel::RowOf(std::int64_t id) const {
  for (std::size_t i = 0; i < catalog_.runs.size(); ++i) {
    if (catalog_.runs[i].run.id.value == id) return static_cast<int>(i);
  }
  return -1;
}

int RunsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(catalog_.runs.size());
}

int RunsModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kFirstFigure + static_cast<int>(dashboard::KeyFigures().size());
}

QVariant RunsModel::Display(const dashboard::CatalogRun& run, int column) const {
  const results::RunRow& r = run.run;
  switch (column) {
    case kId:
      return QString::number(r.id.value);
    case kTime:
      return Time(r.created_unix_ns).toString("yyyy-MM-dd HH:mm:ss");
    case kName:
      return QText(r.info.name);
    case kStatus:
      return QText(results::ToString(r.status));
    case kValidity:
      return ValidityText(r);
    case kEngine:
      return QText(r.info.engine);
    case kModel:
      return QText(r.info.model);
    case kHardware:
      return QText(run.hardware);
    case kWorkload:
      return QText(r.info.workload_name);
    case kLabels:
      return LabelsText(r.info.labels);
    case kRequests:
      return QString::number(r.request_count);
    default:
      break;
  }
  const auto& figure = dashboard::KeyFigures().at(static_cast<std::size_t>(column - kFirstFigure));
  const std::optional<double> value = dashboard::KeyFigureValue(run, figure);
  if (!value) return "–";
  return QText(dashboard::FormatFigure(*value, figure.unit));
}

QVariant RunsModel::SortValue(const dashboard::CatalogRun& run, int column) const {
  const results::RunRow& r = run.run;
  switch (column) {
    case kId:
      return QVariant::fromValue<qint64>(r.id.value);
    case kTime:
      return QVariant::fromValue<qint64>(r.created_unix_ns);
    case kRequests:
      return QVariant::fromValue<qint64>(r.request_count);
    default:
      break;
  }
  if (column < kFirstFigure) return Display(run, column);
  const auto& figure = dashboard::KeyFigures().at(static_cast<std::size_t>(column - kFirstFigure));
  const std::optional<double> value = dashboard::KeyFigureValue(run, figure);
  return value ? QVariant(*value) : QVariant();
}

QVariant RunsModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
    return {};
  }
  const dashboard::CatalogRun& run = catalog_.runs[static_cast<std::size_t>(index.row())];
  switch (role) {
    case Qt::DisplayRole:
      return Display(run, index.column());
    case kSortRole:
      return SortValue(run, index.column());
    case kRunIdRole:
      return QVariant::fromValue<qint64>(run.run.id.value);
    case Qt::TextAlignmentRole:
      if (index.column() == kId || index.column() == kRequests || index.column() >= kFirstFigure) {
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
      }
      return {};
    case Qt::ToolTipRole:
      if (index.column() == kValidity && !run.run.validity_reasons.empty()) {
        QStringList reasons;
        for (const std::string& reason : run.run.validity_reasons) reasons << QText(reason);
        return reasons.join("\n");
      }
      if (index.column() == kTime) return Time(run.run.created_unix_ns).toString(Qt::ISODateWithMs);
      return {};
    case Qt::ForegroundRole:
      if (index.column() == kValidity && run.run.validity == results::Validity::kInvalid) {
        return QBrush(QColor(214, 39, 40));
      }
      return {};
    default:
      return {};
  }
}

QVariant RunsModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || section < 0 || section >= columnCount()) return {};
  if (role == Qt::ToolTipRole && section >= kFirstFigure) {
    const auto& figure =
        dashboard::KeyFigures().at(static_cast<std::size_t>(section - kFirstFigure));
    QStringList names;
    for (std::string_view name : figure.metrics) names << QText(name);
    return "run_metrics: " + names.join(", then ");
  }
  if (role != Qt::DisplayRole) return {};
  static const char* const kHeaders[] = {"ID",       "Time",   "Name",    "Status",
                                         "Valid",    "Engine", "Model",   "Hardware",
                                         "Workload", "Labels", "Requests"};
  if (section < kFirstFigure) return kHeaders[section];
  return QText(dashboard::KeyFigures().at(static_cast<std::size_t>(section - kFirstFigure)).header);
}

}  // namespace infermeter::dashboard_app
