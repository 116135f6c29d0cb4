#include "table_model.h"

#include "runs_model.h"  // kSortRole

namespace infermeter::dashboard_app {

TableModel::TableModel(QObject* parent) : QAbstractTableModel(parent) {}

void TableModel::SetTable(TableSnapshot table) {
  for (auto& row : table.rows) row.resize(static_cast<std::size_t>(table.headers.size()));
  beginResetModel();
  table_ = std::move(table);
  endResetModel();
}

int TableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(table_.rows.size());
}

int TableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(table_.headers.size());
}

QVariant TableModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
    return {};
  }
  const TableCell& cell =
      table_.rows[static_cast<std::size_t>(index.row())][static_cast<std::size_t>(index.column())];
  switch (role) {
    case Qt::DisplayRole:
      return cell.text;
    case kSortRole:
      return cell.value.isValid() ? cell.value : QVariant(cell.text);
    case Qt::ToolTipRole:
      return cell.tooltip.isEmpty() ? QVariant() : QVariant(cell.tooltip);
    case Qt::TextAlignmentRole:
      if (cell.value.typeId() == QMetaType::Double || cell.value.typeId() == QMetaType::LongLong) {
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
      }
      return {};
    default:
      return {};
  }
}

QVariant TableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (role != Qt::DisplayRole || orientation != Qt::Horizontal || section < 0 ||
      section >= table_.headers.size()) {
    return {};
  }
  return table_.headers[section];
}

}  // namespace infermeter::dashboard_app
