#pragma once
// Small pieces every view uses the same way.

class QAbstractItemModel;
class QLayout;
class QTableView;
class QWidget;

namespace infermeter::dashboard_app {

// A read-only table over `model`, sorted by exact value (kSortRole) when a header is clicked,
// rows in the model's order until then, columns fitted after each reset, CSV export on right
// click.
QTableView* MakeFigureTable(QAbstractItemModel* model, QWidget* parent);

// Removes every item of `layout`, hiding its widgets at once and deleting them later.
void ClearLayout(QLayout* layout);

}  // namespace infermeter::dashboard_app
