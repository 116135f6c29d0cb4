#pragma once
// The Runs table: one row per run of the results file, with its key figures. Takes a whole
// RunCatalog (loaded off the GUI thread) in one model reset. Display text is formatted with
// units; kSortRole gives the exact value, so sorting and CSV export see the stored numbers.

#include <QAbstractTableModel>

#include <vector>

#include "infermeter/dashboard/run_catalog.h"

namespace infermeter::dashboard_app {

// The role that carries a cell's raw value (number or text) for sorting and filtering.
inline constexpr int kSortRole = Qt::UserRole + 1;
// The run id of the row, on every cell.
inline constexpr int kRunIdRole = Qt::UserRole + 2;

class RunsModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column {
    kId,
    kTime,
    kName,
    kStatus,
    kValidity,
    kEngine,
    kModel,
    kHardware,
    kWorkload,
    kLabels,
    kRequests,
    kFirstFigure,  // then one column per dashboard::KeyFigures()
  };

  explicit RunsModel(QObject* parent = nullptr);

  void SetCatalog(dashboard::RunCatalog catalog);
  const dashboard::RunCatalog& catalog() const { return catalog_; }
  const dashboard::CatalogRun& RunAt(int row) const { return catalog_.runs.at(row); }
  // The row of run `id`, or -1.
  int RowOf(std::int64_t id) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  QVariant Display(const dashboard::CatalogRun& run, int column) const;
  QVariant SortValue(const dashboard::CatalogRun& run, int column) const;

  dashboard::RunCatalog catalog_;
};

}  // namespace infermeter::dashboard_app
