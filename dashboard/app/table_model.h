#pragma once
// A read-only table taken whole: the figures, errors, configuration and comparison tables are
// built as TableSnapshot values (tables.h) and handed to this one model. Each cell has the text
// shown and the exact value behind it (kSortRole), which sorting and CSV export use.

#include <QAbstractTableModel>
#include <QStringList>
#include <QVariant>

#include <vector>

namespace infermeter::dashboard_app {

struct TableCell {
  QString text;
  QVariant value;  // number for figures (exact as stored), else the text
  QString tooltip;
};

struct TableSnapshot {
  QStringList headers;
  std::vector<std::vector<TableCell>> rows;  // each as long as `headers`
};

class TableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  explicit TableModel(QObject* parent = nullptr);

  void SetTable(TableSnapshot table);
  const TableSnapshot& table() const { return table_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  TableSnapshot table_;
};

}  // namespace infermeter::dashboard_app
