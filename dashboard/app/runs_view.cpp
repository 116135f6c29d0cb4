#include "runs_view.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

#include "csv_export.h"
#include "tables.h"

namespace infermeter::dashboard_app {

RunsView::RunsView(QWidget* parent)
    : QWidget(parent),
      model_(new RunsModel(this)),
      proxy_(new QSortFilterProxyModel(this)),
      table_(new QTableView(this)),
      filter_(new QLineEdit(this)),
      count_(new QLabel(this)),
      open_(new QPushButton("Open", this)),
      compare_(new QPushButton("Compare selected", this)),
      rename_(new QPushButton("Rename…", this)),
      delete_(new QPushButton("Delete…", this)) {
  proxy_->setSourceModel(model_);
  proxy_->setSortRole(kSortRole);
  proxy_->setFilterKeyColumn(-1);  // any column
  proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);

  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(RunsModel::kId, Qt::DescendingOrder);  // newest first
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setAlternatingRowColors(true);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  table_->horizontalHeader()->setStretchLastSection(true);
  AddTableExportAction(table_);

  filter_->setPlaceholderText(
      "Filter runs: text or regular expression matched against every column (h100|910B, "
      "INVALID, chat)");
  filter_->setClearButtonEnabled(true);
  connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
    const QRegularExpression pattern(text, QRegularExpression::CaseInsensitiveOption);
    // An unfinished regular expression ("h100|(") filters as plain text meanwhile.
    if (pattern.isValid()) {
      proxy_->setFilterRegularExpression(pattern);
    } else {
      proxy_->setFilterFixedString(text);
    }
    UpdateCount();
  });

  confirm = [this](const QString& title, const QString& question) {
    return QMessageBox::question(this, title, question) == QMessageBox::Yes;
  };
  ask_name = [this](const QString& current_name) {
    bool ok = false;
    const QString name = QInputDialog::getText(this, "Rename run", "New name:", QLineEdit::Normal,
                                               current_name, &ok);
    return ok ? name.trimmed() : QString();
  };

  connect(open_, &QPushButton::clicked, this, &RunsView::RequestOpen);
  connect(compare_, &QPushButton::clicked, this, &RunsView::RequestCompare);
  connect(rename_, &QPushButton::clicked, this, &RunsView::RequestRename);
  connect(delete_, &QPushButton::clicked, this, &RunsView::RequestDelete);
  connect(table_, &QTableView::doubleClicked, this, &RunsView::RequestOpen);
  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          &RunsView::UpdateButtons);
  connect(proxy_, &QSortFilterProxyModel::modelReset, this, &RunsView::UpdateButtons);

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(count_, 1);
  for (QPushButton* b : {open_, compare_, rename_, delete_}) buttons->addWidget(b);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(filter_);
  layout->addWidget(table_, 1);
  layout->addLayout(buttons);
  UpdateButtons();
  UpdateCount();
}

void RunsView::SetCatalog(dashboard::RunCatalog catalog) {
  const QList<qint64> selected = SelectedRunIds();  // kept across a live refresh
  model_->SetCatalog(std::move(catalog));
  table_->resizeColumnsToContents();
  SelectRuns(selected);
  UpdateCount();
}

QList<qint64> RunsView::SelectedRunIds() const {
  QModelIndexList rows = table_->selectionModel()->selectedRows();
  // In the order shown, not the order clicked.
  std::sort(rows.begin(), rows.end(),
            [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
  QList<qint64> ids;
  for (const QModelIndex& index : rows) ids.append(index.data(kRunIdRole).toLongLong());
  return ids;
}

void RunsView::SelectRuns(const QList<qint64>& ids) {
  QItemSelection selection;
  for (qint64 id : ids) {
    const int row = model_->RowOf(id);
    if (row < 0) continue;
    const QModelIndex index = proxy_->mapFromSource(model_->index(row, 0));
    if (index.isValid()) selection.select(index, index);
  }
  table_->selectionModel()->select(selection,
                                   QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void RunsView::RequestOpen() {
  const QList<qint64> ids = SelectedRunIds();
  if (!ids.isEmpty()) emit openRequested(ids.first());
}

void RunsView::RequestCompare() {
  const QList<qint64> ids = SelectedRunIds();
  if (ids.size() >= 2) emit compareRequested(ids);
}

void RunsView::RequestRename() {
  const QList<qint64> ids = SelectedRunIds();
  if (ids.size() != 1) return;
  const dashboard::CatalogRun& run = model_->RunAt(model_->RowOf(ids.first()));
  const QString name = ask_name(QString::fromStdString(run.run.info.name));
  if (name.isEmpty() || name.toStdString() == run.run.info.name) return;
  if (!confirm("Rename run",
               QString("Rename %1 to \"%2\" in the results file?").arg(RunTitle(run.run), name))) {
    return;
  }
  emit renameRequested(ids.first(), name);
}

void RunsView::RequestDelete() {
  const QList<qint64> ids = SelectedRunIds();
  if (ids.isEmpty()) return;
  QStringList titles;
  bool running = false;
  for (qint64 id : ids) {
    const dashboard::CatalogRun& run = model_->RunAt(model_->RowOf(id));
    titles << RunTitle(run.run);
    running = running || run.run.status == results::RunStatus::kRunning;
  }
  QString question = QString(
                         "Delete %1 and everything recorded for %2 from the results file? "
                         "This cannot be undone.\n\n%3")
                         .arg(ids.size() == 1 ? "this run" : QString("%1 runs").arg(ids.size()),
                              ids.size() == 1 ? "it" : "them", titles.join("\n"));
  if (running) {
    question +=
        "\n\nA selected run is still marked running: if its process is alive, its "
        "writer will fail.";
  }
  if (confirm("Delete runs", question)) emit deleteRequested(ids);
}

void RunsView::UpdateButtons() {
  const qsizetype n = table_->selectionModel()->selectedRows().size();
  open_->setEnabled(n >= 1);
  compare_->setEnabled(n >= 2);
  rename_->setEnabled(n == 1);
  delete_->setEnabled(n >= 1);
}

void RunsView::UpdateCount() {
  const int all = model_->rowCount(), shown = proxy_->rowCount();
  count_->setText(all == shown ? QString("%1 runs").arg(all)
                               : QString("%1 of %2 runs shown").arg(shown).arg(all));
}

}  // namespace infermeter::dashboard_app
