#pragma once
// `infermeter exporter --db FILE`: the summary figures of every finished run in a results file,
// for Prometheus, so a Grafana board shows history and compares runs across hardware after they
// ended. Per run that is not `running`: `infermeter_run_info` (with status and validity), start
// and end times, and every `run_metrics` row under the name run_metric_names.h gives it, with the
// labels a live run gives them when it ends (`run_id`, and `stat` for a distribution's statistic).
// Plus the exporter's own health: `infermeter_exporter_runs`,
// `infermeter_exporter_last_read_success` and `infermeter_exporter_read_errors_total`.
//
// Cheap to scrape every second, even with thousands of runs in the file while another process
// writes to it:
// - nothing is read while SQLite's `PRAGMA data_version` (on a connection kept open; it changes
//   whenever another connection commits, WAL included) and the file's inode, size and mtime stay
//   the same (a changed size or mtime with no commit seen means a rewrite behind SQLite's back, or
//   a checkpoint: the connection is reopened);
// - when something changed, only the `runs` rows of finished runs are read, and a run's
//   `run_metrics` only when the run is new or its row changed. The harness writes a run's figures
//   before it marks the run finished and never afterwards, so a finished run's row and figures
//   change together (editing an old run's figures by hand in `sqlite3`, without touching its row,
//   is seen after a restart).
// A file replaced under the same name (deleted and made again) is noticed by its inode and read
// afresh. A read that fails (file gone, corrupt, another schema version) keeps the last good
// figures served, counts the failure and logs each distinct error once; each scrape tries again.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace infermeter::exporter {

class StoredRunsCollectable final : public prometheus::Collectable {
 public:
  // Opens `db_path` read-only and reads it once. Throws Error (naming the file) when it is
  // missing, not an infermeter results file, or at another schema version.
  explicit StoredRunsCollectable(std::string db_path);
  ~StoredRunsCollectable() override;
  StoredRunsCollectable(const StoredRunsCollectable&) = delete;
  StoredRunsCollectable& operator=(const StoredRunsCollectable&) = delete;

  // Thread-safe: the endpoint may scrape from several threads.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // How much reading was done, for tests and benchmarks.
  struct ReadCounts {
    std::int64_t run_lists = 0;     // times the runs table was read (the file had changed)
    std::int64_t runs_loaded = 0;   // runs whose run_metrics were read (new or changed runs)
    std::int64_t failed_reads = 0;  // = infermeter_exporter_read_errors_total
  };
  ReadCounts read_counts() const;

 private:
  class Impl;
  const std::unique_ptr<Impl> impl_;
};

}  // namespace infermeter::exporter
