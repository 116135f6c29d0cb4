#pragma once
// The Runs view: every run of the file in a sortable, filterable table with its key figures.
// Select runs to compare them, double-click (or Open) to see one in detail, rename or delete
// with confirmation. The view only asks (signals); the main window does the work off the GUI
// thread and hands back a new catalog.

#include <QList>
#include <QWidget>

#include <functional>

#include "runs_model.h"

class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace infermeter::dashboard_app {

class RunsView : public QWidget {
  Q_OBJECT

 public:
  explicit RunsView(QWidget* parent = nullptr);

  void SetCatalog(dashboard::RunCatalog catalog);
  RunsModel* model() const { return model_; }
  QSortFilterProxyModel* proxy() const { return proxy_; }
  QTableView* table() const { return table_; }
  QLineEdit* filter() const { return filter_; }
  // Ids of the selected runs, in the order shown.
  QList<qint64> SelectedRunIds() const;
  void SelectRuns(const QList<qint64>& ids);

  // Asking the user: replaced in tests (dialogs would block). `confirm` returns whether to go on;
  // `ask_name` returns the new name, or an empty string to cancel.
  std::function<bool(const QString& title, const QString& question)> confirm;
  std::function<QString(const QString& current_name)> ask_name;

 public slots:
  void RequestOpen();
  void RequestCompare();
  void RequestRename();
  void RequestDelete();

 signals:
  void openRequested(qint64 run_id);
  void compareRequested(const QList<qint64>& run_ids);
  void renameRequested(qint64 run_id, const QString& name);
  void deleteRequested(const QList<qint64>& run_ids);

 private:
  void UpdateButtons();
  void UpdateCount();

  RunsModel* model_;
  QSortFilterProxyModel* proxy_;
  QTableView* table_;
  QLineEdit* filter_;
  QLabel* count_;
  QPushButton *open_, *compare_, *rename_, *delete_;
};

}  // namespace infermeter::dashboard_app
