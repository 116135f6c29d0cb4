#pragma once
// "Export": any table to CSV (RFC 4180, dashboard/csv.h). Numbers are written exactly as stored
// (the model's kSortRole value), not as the rounded text the cell shows; the header row is the
// table's column titles. Rows are written in the order the view shows them (sorted, filtered).

#include <QString>

#include <string>

class QAbstractItemModel;
class QAbstractItemView;

namespace infermeter::dashboard_app {

std::string ModelToCsv(const QAbstractItemModel& model);
// Returns false with `error` naming the file and why when it cannot be written.
bool SaveModelCsv(const QAbstractItemModel& model, const QString& path, QString* error);

// Adds "Export table as CSV…" to the view's context menu.
void AddTableExportAction(QAbstractItemView* view);

}  // namespace infermeter::dashboard_app
