#include "infermeter/exporter/stored_runs_collectable.h"

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "infermeter/core/error.h"
#include "infermeter/core/log.h"
#include "infermeter/exporter/run_metric_names.h"
#include "infermeter/results/file_state.h"
#include "infermeter/results/schema.h"
#include "infermeter/results/sqlite.h"
#include "infermeter/results/store.h"

namespace infermeter::exporter {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr double kNsPerS = 1e9;
// Distinct error messages remembered so each is logged once; more than this and the memory
// starts again (a message that changes with every read must not grow it without bound).
constexpr std::size_t kMaxRememberedErrors = 64;

// The connection is reopened when the file's stat(2) state changes (results/file_state.h): a new
// inode is another file under the same name, and a changed size or modification time with the
// same inode may be a rewrite behind SQLite's back (a checkpoint also changes them: reopening is
// cheap, and the figures of unchanged runs are kept).
using results::FileState;
using results::StatFile;

// Finished runs, with what their series are made of. Every column is part of the row's
// signature, so a run whose row changed (validity set late, labels edited) is read again.
constexpr const char* kRunsQuery =
    "SELECT id, name, created_unix_ns, finished_unix_ns, status, engine, model, hardware, "
    "workload_name, labels, clock_origin_unix_ns, validity FROM runs "
    "WHERE status <> 'running' ORDER BY id";
constexpr int kRunsColumns = 12;

std::string Signature(const results::Statement& row) {
  std::string signature;
  for (int column = 1; column < kRunsColumns; ++column) {
    signature += row.IsNull(column) ? "\x1e" : row.ColumnText(column);
    signature += '\x1f';
  }
  return signature;
}

ClientMetric Gauge(double value, std::vector<ClientMetric::Label> labels) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  return metric;
}

MetricFamily Family(std::string name, std::string help, MetricType type = MetricType::Gauge) {
  return {.name = std::move(name), .help = std::move(help), .type = type, .metric = {}};
}

}  // namespace

class StoredRunsCollectable::Impl {
 public:
  // Reads the file once; throws what went wrong (the caller is told, nothing is logged).
  explicit Impl(std::string db_path) : db_path_(std::move(db_path)) { Read(); }

  std::vector<MetricFamily> Collect() {
    std::lock_guard lock(mutex_);
    Refresh();
    MetricFamily info = Family(kRunInfoFamily, kRunInfoHelp);
    MetricFamily start = Family(kRunStartFamily, kRunStartHelp);
    MetricFamily end = Family(kRunEndFamily, kRunEndHelp);
    std::vector<MetricFamily> summary;
    summary.reserve(families_.size());
    for (const std::string& name : families_) summary.push_back(Family(name, kRunSummaryHelp));
    info.metric.reserve(runs_.size());
    start.metric.reserve(runs_.size());
    end.metric.reserve(runs_.size());
    for (const auto& [id, run] : runs_) {
      info.metric.push_back(Gauge(1, run->info_labels));
      start.metric.push_back(Gauge(run->start_s, {{"run_id", run->id}}));
      if (run->end_s) end.metric.push_back(Gauge(*run->end_s, {{"run_id", run->id}}));
      for (const auto& [series, value] : run->points) {
        std::vector<ClientMetric::Label> labels{{"run_id", run->id}};
        if (!series_[series].stat.empty()) labels.push_back({"stat", series_[series].stat});
        summary[series_family_[series]].metric.push_back(Gauge(value, std::move(labels)));
      }
    }

    std::vector<MetricFamily> out;
    out.reserve(summary.size() + 6);
    for (MetricFamily* family : {&info, &start, &end}) {
      if (!family->metric.empty()) out.push_back(std::move(*family));
    }
    for (MetricFamily& family : summary) {
      if (!family.metric.empty()) out.push_back(std::move(family));
    }
    MetricFamily runs = Family("infermeter_exporter_runs",
                               "Finished runs exported from the results file (last good read).");
    runs.metric.push_back(Gauge(static_cast<double>(runs_.size()), {}));
    out.push_back(std::move(runs));
    MetricFamily ok = Family("infermeter_exporter_last_read_success",
                             "1 when the last read of the results file worked, else 0 (the "
                             "figures of the last good read are served).");
    ok.metric.push_back(Gauge(last_read_ok_ ? 1 : 0, {}));
    out.push_back(std::move(ok));
    MetricFamily errors = Family("infermeter_exporter_read_errors_total",
                                 "Reads of the results file that failed.", MetricType::Counter);
    errors.metric.emplace_back();
    errors.metric.back().counter.value = static_cast<double>(counts_.failed_reads);
    out.push_back(std::move(errors));
    return out;
  }

  ReadCounts counts() {
    std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  // The series of one finished run, as of its row's `signature`.
  struct StoredRun {
    std::string signature;
    std::string id;                                // the run_id label
    std::vector<ClientMetric::Label> info_labels;  // status and validity included
    double start_s = 0;
    std::optional<double> end_s;
    std::vector<std::pair<std::size_t, double>> points;  // (index in series_, value)
  };

  // Re-reads when the file changed; on failure keeps what it had, counts and logs the failure.
  // REQUIRES: mutex_ held.
  void Refresh() {
    try {
      Read();
      if (!last_read_ok_) {
        // Said at the level of the failure it ends; a later failure is logged afresh.
        spdlog::warn("exporter: {} is readable again; serving its figures", db_path_);
        logged_errors_.clear();
      }
      last_read_ok_ = true;
    } catch (const std::exception& e) {
      ++counts_.failed_reads;
      last_read_ok_ = false;
      store_.reset();  // reopen next time: the file may have been replaced or repaired
      const std::string error = e.what();
      if (logged_errors_.size() >= kMaxRememberedErrors) logged_errors_.clear();
      if (logged_errors_.insert(error).second) {
        spdlog::warn("exporter: cannot read {}: {} (serving the figures of the last good read)",
                     db_path_, error);
      }
    }
  }

  // Opens the file when needed and reads what changed since the last good read. Throws on any
  // failure, leaving the last good read as it was.
  void Read() {
    FileState file;
    try {
      file = StatFile(db_path_);
    } catch (const Error&) {
      // Gone: ResultsStore says so in the words every command uses.
      store_.reset();
      results::ResultsStore::OpenForReading(db_path_);
      throw;
    }
    if (store_ && !(file == opened_file_)) store_.reset();
    if (!store_) {
      store_.emplace(results::ResultsStore::OpenForReading(db_path_));
      opened_file_ = file;
      data_version_.reset();  // a new connection counts from its own start
    }
    results::Database& db = store_->database();
    // Changes whenever another connection commits to the file (WAL included).
    const std::int64_t version = db.QueryInt("PRAGMA data_version");
    if (last_read_ok_ && data_version_ == version) return;
    results::RequireCurrentSchema(db);  // `db migrate` by another build since we opened it
    // Runs of the file last read well are kept while their row is unchanged; another file under
    // the same name is read afresh.
    ReadChanges(db, good_file_ && good_file_->SameFile(file));
    data_version_ = version;
    good_file_ = file;
  }

  // Reads the finished runs; a run's figures only when it is new or its row changed (or all of
  // them when `!reuse`). Leaves `runs_` as it was when it throws.
  void ReadChanges(results::Database& db, bool reuse) {
    // One consistent view of the file while the runs and their figures are read.
    results::ReadTransaction snapshot(db);
    results::Statement rows(db, kRunsQuery);
    std::map<std::int64_t, std::shared_ptr<const StoredRun>> next;
    ++counts_.run_lists;
    while (rows.Step()) {
      const std::int64_t id = rows.ColumnInt(0);
      std::string signature = Signature(rows);
      if (reuse) {
        const auto it = runs_.find(id);
        if (it != runs_.end() && it->second->signature == signature) {
          next.emplace(id, it->second);
          continue;
        }
      }
      next.emplace(id, LoadRun(rows, std::move(signature)));
    }
    runs_ = std::move(next);
  }

  std::shared_ptr<const StoredRun> LoadRun(const results::Statement& row, std::string signature) {
    auto run = std::make_shared<StoredRun>();
    const RunId id(row.ColumnInt(0));
    run->signature = std::move(signature);
    run->id = std::to_string(id.value);
    results::RunInfo info;
    info.name = row.ColumnText(1);
    info.engine = row.ColumnText(5);
    info.model = row.ColumnText(6);
    info.hardware_json = row.ColumnText(7);
    info.workload_name = row.ColumnText(8);
    info.labels = results::LabelsFromJson(row.ColumnText(9));
    std::map<std::string, std::string> labels = RunInfoLabels(id, info);
    SetRunOutcomeLabels(
        labels, results::ParseRunStatus(row.ColumnText(4)),
        row.IsNull(11) ? std::nullopt : std::optional(results::ParseValidity(row.ColumnText(11))));
    run->info_labels.reserve(labels.size());
    for (auto& [name, value] : labels) run->info_labels.push_back({name, std::move(value)});
    // The live exporter's start time is the run's clock origin (set as it begins); a row without
    // one falls back to when it was created.
    const std::int64_t clock_origin_ns = row.ColumnInt(10);
    run->start_s =
        static_cast<double>(clock_origin_ns > 0 ? clock_origin_ns : row.ColumnInt(2)) / kNsPerS;
    if (const auto finished = row.ColumnOptionalInt(3)) {
      run->end_s = static_cast<double>(*finished) / kNsPerS;
    }
    for (const RunMetricPoint& point : ExportedRunMetrics(store_->LoadRunMetrics(id))) {
      run->points.emplace_back(Intern(point.name), point.value);
    }
    ++counts_.runs_loaded;
    return run;
  }

  std::size_t Intern(const RunMetricName& name) {
    const auto [it, added] =
        series_index_.emplace(std::pair{name.family, name.stat}, series_.size());
    if (added) {
      series_.push_back(name);
      const auto [family, new_family] = family_index_.emplace(name.family, families_.size());
      if (new_family) families_.push_back(name.family);
      series_family_.push_back(family->second);
    }
    return it->second;
  }

  const std::string db_path_;
  std::mutex mutex_;
  std::optional<results::ResultsStore> store_;
  FileState opened_file_;                     // the file as it was when store_ was opened
  std::optional<FileState> good_file_;        // the file of the last good read
  std::optional<std::int64_t> data_version_;  // of the last good read, on store_'s connection
  // The last good read: every finished run by id. Shared, so that a read building the next map
  // leaves this one whole when it fails half way.
  std::map<std::int64_t, std::shared_ptr<const StoredRun>> runs_;
  // Every summary series seen (family and stat), so each run keeps only (index, value) pairs;
  // grows only with new names, which are few.
  std::vector<RunMetricName> series_;
  std::map<std::pair<std::string, std::string>, std::size_t> series_index_;
  std::vector<std::size_t> series_family_;  // series_ -> families_
  std::vector<std::string> families_;       // summary families in first-seen order
  std::map<std::string, std::size_t> family_index_;
  ReadCounts counts_;
  bool last_read_ok_ = true;
  std::set<std::string> logged_errors_;
};

StoredRunsCollectable::StoredRunsCollectable(std::string db_path)
    : impl_(std::make_unique<Impl>(std::move(db_path))) {}

StoredRunsCollectable::~StoredRunsCollectable() = default;

std::vector<MetricFamily> StoredRunsCollectable::Collect() const { return impl_->Collect(); }

StoredRunsCollectable::ReadCounts StoredRunsCollectable::read_counts() const {
  return impl_->counts();
}

}  // namespace infermeter::exporter
