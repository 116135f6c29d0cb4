#include "infermeter/exporter/stored_runs_collectable.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "infermeter/core/log.h"
#include "infermeter/exporter/run_metric_names.h"

namespace infermeter::exporter {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr double kNsPerS = 1e9;

// The file's device and inode; throws Error when it is not there.
std::pair<std::uint64_t, std::uint64_t> FileId(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    throw Error(fmt::format("{}: {}", path, std::strerror(errno)));
  }
  return {static_cast<std::uint64_t>(status.st_dev), static_cast<std::uint64_t>(status.st_ino)};
}

std::vector<ClientMetric::Label> ToLabels(const std::map<std::string, std::string>& labels) {
  std::vector<ClientMetric::Label> out;
  out.reserve(labels.size());
  for (const auto& [name, value] : labels) out.push_back({name, value});
  return out;
}

ClientMetric Gauge(double value, std::vector<ClientMetric::Label> labels) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  return metric;
}

// Families in first-seen order, each once.
class FamilySet {
 public:
  MetricFamily& Get(const std::string& name, const char* help,
                    MetricType type = MetricType::Gauge) {
    const auto [it, added] = index_.emplace(name, families_.size());
    if (added) families_.push_back({.name = name, .help = help, .type = type, .metric = {}});
    return families_[it->second];
  }
  std::vector<MetricFamily> Take() { return std::move(families_); }

 private:
  std::map<std::string, std::size_t> index_;
  std::vector<MetricFamily> families_;
};

}  // namespace

StoredRunsCollectable::StoredRunsCollectable(std::string db_path)
    : db_path_(std::move(db_path)), store_(results::ResultsStore::OpenForReading(db_path_)) {
  std::lock_guard lock(mutex_);
  Refresh();
  if (!last_read_ok_) throw Error(last_error_);
}

std::vector<MetricFamily> StoredRunsCollectable::ReadRuns(results::ResultsStore& store) {
  FamilySet families;
  const char* summary_help =
      "A summary figure of a finished run, as stored in run_metrics (docs/PROMETHEUS.md).";
  for (const results::RunRow& run : store.ListRuns()) {
    if (run.status == results::RunStatus::kRunning) continue;
    const std::string id = std::to_string(run.id.value);
    std::map<std::string, std::string> info = RunInfoLabels(run.id, run.info);
    info.emplace("status", std::string(results::ToString(run.status)));
    info.emplace("validity", run.validity ? std::string(results::ToString(*run.validity)) : "");
    families.Get("infermeter_run_info", "A run: what it is and how it ended (value 1).")
        .metric.push_back(Gauge(1, ToLabels(info)));
    families.Get("infermeter_run_start_time_seconds", "Unix time the run started.")
        .metric.push_back(Gauge(static_cast<double>(run.info.clock_origin.wall_unix_ns) / kNsPerS,
                                {{"run_id", id}}));
    if (run.finished_unix_ns) {
      families.Get("infermeter_run_end_time_seconds", "Unix time the run ended.")
          .metric.push_back(
              Gauge(static_cast<double>(*run.finished_unix_ns) / kNsPerS, {{"run_id", id}}));
    }
    for (const RunMetricPoint& point : ExportedRunMetrics(store.LoadRunMetrics(run.id))) {
      std::vector<ClientMetric::Label> labels{{"run_id", id}};
      if (!point.name.stat.empty()) labels.push_back({"stat", point.name.stat});
      families.Get(point.name.family, summary_help).metric.push_back(Gauge(point.value, labels));
    }
  }
  return families.Take();
}

void StoredRunsCollectable::Refresh() const {
  try {
    const auto file_id = FileId(db_path_);
    if (store_ && file_id != file_id_) {  // replaced under the same name: read the new one
      store_.reset();
      data_version_.reset();
    }
    if (!store_) {
      store_ = results::ResultsStore::OpenForReading(db_path_);
      file_id_ = file_id;
    }
    // Changes whenever another connection commits to the file.
    const std::int64_t version = store_->database().QueryInt("PRAGMA data_version");
    if (data_version_ && *data_version_ == version && last_read_ok_) return;
    std::vector<MetricFamily> families = ReadRuns(*store_);
    runs_ = families.empty() ? 0 : static_cast<std::int64_t>(families.front().metric.size());
    families_ = std::move(families);
    data_version_ = version;
    last_read_ok_ = true;
    last_error_.clear();
  } catch (const std::exception& e) {
    ++read_errors_;
    last_read_ok_ = false;
    // Reopen on the next scrape: the file may have been replaced.
    store_.reset();
    data_version_.reset();
    const std::string error = e.what();
    if (error != last_error_) {
      spdlog::warn("exporter: cannot read {}: {} (serving the last figures read)", db_path_, error);
    }
    last_error_ = error;
  }
}

std::vector<MetricFamily> StoredRunsCollectable::Collect() const {
  std::lock_guard lock(mutex_);
  Refresh();
  std::vector<MetricFamily> out = families_;
  const std::vector<ClientMetric::Label> by_file{{"db", db_path_}};
  out.push_back({.name = "infermeter_exporter_runs",
                 .help = "Finished runs exported from the results file.",
                 .type = MetricType::Gauge,
                 .metric = {Gauge(static_cast<double>(runs_), by_file)}});
  out.push_back({.name = "infermeter_exporter_last_read_success",
                 .help = "1 when the last read of the results file worked, else 0.",
                 .type = MetricType::Gauge,
                 .metric = {Gauge(last_read_ok_ ? 1 : 0, by_file)}});
  ClientMetric errors;
  errors.label = by_file;
  errors.counter.value = static_cast<double>(read_errors_);
  out.push_back({.name = "infermeter_exporter_read_errors_total",
                 .help = "Reads of the results file that failed.",
                 .type = MetricType::Counter,
                 .metric = {std::move(errors)}});
  return out;
}

}  // namespace infermeter::exporter
