#include "view_helpers.h"

#include <QHeaderView>
#include <QLayout>
#include <QSortFilterProxyModel>
#include <QTableView>

#include "csv_export.h"
#include "runs_model.h"  // kSortRole

namespace infermeter::dashboard_app {

QTableView* MakeFigureTable(QAbstractItemModel* model, QWidget* parent) {
  auto* proxy = new QSortFilterProxyModel(parent);
  proxy->setSourceModel(model);
  proxy->setSortRole(kSortRole);
  auto* table = new QTableView(parent);
  table->setModel(proxy);
  table->setSortingEnabled(true);
  table->sortByColumn(-1, Qt::AscendingOrder);  // as built until a header is clicked
  table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table->setSelectionBehavior(QAbstractItemView::SelectRows);
  table->setAlternatingRowColors(true);
  table->verticalHeader()->hide();
  table->horizontalHeader()->setStretchLastSection(true);
  QObject::connect(model, &QAbstractItemModel::modelReset, table,
                   [table] { table->resizeColumnsToContents(); });
  AddTableExportAction(table);
  return table;
}

void ClearLayout(QLayout* layout) {
  while (QLayoutItem* item = layout->takeAt(0)) {
    if (QWidget* w = item->widget()) {
      w->hide();  // gone from the screen now; deleted when control returns to the event loop
      w->deleteLater();
    }
    delete item;
  }
}

}  // namespace infermeter::dashboard_app
