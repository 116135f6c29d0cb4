#pragma once
// `infermeter exporter --db FILE`: the summary figures of every finished run in a results file,
// for Prometheus, so a Grafana board shows history and compares runs across hardware after they
// ended. Per run: `infermeter_run_info` (with status and validity), start and end times, and every
// `run_metrics` row under the name run_metric_names.h gives it, exactly as a live run exports
// them when it ends. Runs still running are left out (their live metrics come from the run).
//
// The file is re-read only when it changed (SQLite's data_version, which sees commits of other
// processes, WAL included), so a 1 s scrape of a file with thousands of runs stays cheap; a file
// replaced under the same name (deleted and made again) is noticed by its inode and reopened. A
// read that fails keeps the last good figures served and is counted
// (`infermeter_exporter_read_errors_total`, `infermeter_exporter_last_read_success`).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "infermeter/results/store.h"

namespace infermeter::exporter {

class StoredRunsCollectable final : public prometheus::Collectable {
 public:
  // Opens `db_path` read-only now. Throws Error (naming the file) when it is missing, not an
  // infermeter results file, or at another schema version.
  explicit StoredRunsCollectable(std::string db_path);

  std::vector<prometheus::MetricFamily> Collect() const override;

  // The families of every finished run in `store` (what Collect serves, without the exporter's
  // own health series).
  static std::vector<prometheus::MetricFamily> ReadRuns(results::ResultsStore& store);

 private:
  // Re-reads when the file changed. REQUIRES: mutex_ held.
  void Refresh() const;

  const std::string db_path_;
  mutable std::mutex mutex_;  // scrapes may come from several of the endpoint's threads
  mutable std::optional<results::ResultsStore> store_;
  mutable std::pair<std::uint64_t, std::uint64_t> file_id_{};  // device and inode of store_'s file
  mutable std::optional<std::int64_t> data_version_;           // of the figures in `families_`
  mutable std::vector<prometheus::MetricFamily> families_;
  mutable std::int64_t runs_ = 0;
  mutable std::int64_t read_errors_ = 0;
  mutable bool last_read_ok_ = true;
  mutable std::string last_error_;
};

}  // namespace infermeter::exporter
