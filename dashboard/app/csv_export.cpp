#include "csv_export.h"

#include <QAbstractItemModel>
#include <QAbstractItemView>
#include <QAction>
#include <QFile>
#include <QFileDialog>
#include <QMessageBox>

#include <vector>

#include "infermeter/dashboard/csv.h"
#include "runs_model.h"  // kSortRole

namespace infermeter::dashboard_app {
namespace {

std::string CellText(const QAbstractItemModel& model, const QModelIndex& index) {
  const QVariant value = model.data(index, kSortRole);
  if (value.typeId() == QMetaType::Double) {
    return QString::number(value.toDouble(), 'g', 17).toStdString();
  }
  if (value.typeId() == QMetaType::LongLong || value.typeId() == QMetaType::Int) {
    return QString::number(value.toLongLong()).toStdString();
  }
  return model.data(index, Qt::DisplayRole).toString().toStdString();
}

}  // namespace

std::string ModelToCsv(const QAbstractItemModel& model) {
  std::string csv;
  std::vector<std::string> fields;
  for (int c = 0; c < model.columnCount(); ++c) {
    fields.push_back(model.headerData(c, Qt::Horizontal).toString().toStdString());
  }
  csv += dashboard::CsvLine(fields);
  for (int r = 0; r < model.rowCount(); ++r) {
    fields.clear();
    for (int c = 0; c < model.columnCount(); ++c)
      fields.push_back(CellText(model, model.index(r, c)));
    csv += dashboard::CsvLine(fields);
  }
  return csv;
}

bool SaveModelCsv(const QAbstractItemModel& model, const QString& path, QString* error) {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
    *error = QString("%1: %2").arg(path, file.errorString());
    return false;
  }
  const std::string csv = ModelToCsv(model);
  if (file.write(csv.data(), static_cast<qint64>(csv.size())) != static_cast<qint64>(csv.size())) {
    *error = QString("%1: %2").arg(path, file.errorString());
    return false;
  }
  return true;
}

void AddTableExportAction(QAbstractItemView* view) {
  view->setContextMenuPolicy(Qt::ActionsContextMenu);
  auto* action = new QAction("Export table as CSV…", view);
  QObject::connect(action, &QAction::triggered, view, [view] {
    if (!view->model()) return;
    const QString path =
        QFileDialog::getSaveFileName(view, "Export table", "table.csv", "CSV (*.csv)");
    if (path.isEmpty()) return;
    QString error;
    if (!SaveModelCsv(*view->model(), path, &error)) {
      QMessageBox::warning(view, "Export table", error);
    }
  });
  view->addAction(action);
}

}  // namespace infermeter::dashboard_app
