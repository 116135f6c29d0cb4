#pragma once
// The results store: one SQLite file holding every run. Opening for writing creates the file,
// switches it to WAL (so readers in other processes — the dashboard, `sqlite3`, `infermeter
// runs` — read while a run writes) and migrates it; opening for reading never writes.
//
// The synchronous calls here (begin/finish a run, queries) are for run boundaries and readers.
// The rows a run produces while it runs go through ResultsWriter (writer.h), which batches them
// on its own connection and thread.
//
// Thread-safety: one ResultsStore per thread.

#include <optional>
#include <string>
#include <vector>

#include "infermeter/results/records.h"
#include "infermeter/results/sqlite.h"

namespace infermeter::results {

// What `infermeter db check` reports.
struct StoreCheck {
  int schema_version = 0;
  int current_schema_version = 0;
  std::string journal_mode;
  std::vector<std::string> integrity_problems;  // empty when PRAGMA integrity_check says ok
  std::int64_t runs = 0;
  std::int64_t requests = 0;
  std::int64_t request_chunks = 0;
  std::int64_t samples = 0;
  std::int64_t run_metrics = 0;
  std::int64_t hardware_peaks = 0;
  std::int64_t run_groups = 0;
  bool ok() const { return integrity_problems.empty() && schema_version == current_schema_version; }
};

class ResultsStore {
 public:
  // 64 KiB pages: most of what a run writes is chunk BLOBs of about 1 KB, and the writer's
  // throughput rises steeply with the page size (bench/results_bench compares 4 KiB and 64 KiB).
  static constexpr int kDefaultPageSizeBytes = 65536;

  // Creates the file if needed, sets WAL and synchronous=NORMAL, migrates to the current schema.
  // `page_size_bytes` (a power of two from 512 to 65536) only applies to a new file.
  static ResultsStore OpenForWriting(const std::string& path,
                                     int page_size_bytes = kDefaultPageSizeBytes);
  // Opens read-only. Throws Error with a clear message when the file is missing, corrupt, not an
  // infermeter file, or at another schema version.
  static ResultsStore OpenForReading(const std::string& path);
  // Opens an existing file at the current schema for the user's own edits (rename, delete in the
  // dashboard): never creates or migrates, and fails as OpenForReading does.
  static ResultsStore OpenForEditing(const std::string& path);

  // Inserts a run with status `running`, created now. Returns its id.
  RunId BeginRun(const RunInfo& info);
  // Sets the final status and finish time. Throws Error if the run does not exist.
  void FinishRun(RunId run, RunStatus status, std::int64_t finished_unix_ns);
  // Renames a run (runs.name). Throws Error if the run does not exist.
  void RenameRun(RunId run, const std::string& name);
  // Deletes a run and everything recorded for it (requests, chunks, samples, figures cascade),
  // in one transaction. Throws Error if the run does not exist. A run still being written must
  // not be deleted: its writer would then fail (the caller asks the user first).
  void DeleteRun(RunId run);
  // Stores the run's verdict and its reasons (empty for a valid run).
  void SetRunValidity(RunId run, Validity validity, const std::vector<std::string>& reasons);
  // Stores what each collector did: {"flops": {"flops_source": ..., "peak_source": ...},
  // "nvml": {"status": "unavailable", "reason": ...}}. Throws Error unless it is a JSON object.
  void SetRunCollectors(RunId run, const std::string& collectors_json);

  // Inserts a group (created now) and returns its id; runs join it through RunInfo::group_id.
  std::int64_t BeginGroup(const RunGroup& group);
  // Replaces the group's result JSON. Throws Error if the group does not exist.
  void SetGroupResult(std::int64_t group_id, const std::string& result_json);
  std::vector<RunGroup> ListGroups();

  std::vector<RunRow> ListRuns();
  std::optional<RunRow> GetRun(RunId run);
  // Requests of a run in request_id order, chunk arrivals decoded.
  std::vector<RequestRecord> LoadRequests(RunId run);
  std::vector<SampleRecord> LoadSamples(RunId run);
  std::vector<RunMetric> LoadRunMetrics(RunId run);

  // Stores one measured peak of a host. Returns its row id.
  std::int64_t RecordHardwarePeak(const HardwarePeak& peak);
  // The latest peak per (host, metric, dtype), ordered by host, metric, dtype: a probe run again
  // supersedes the earlier figures, which stay in the table as history. Rows whose details say
  // {"quick": true} (`probe --quick`) only count when no full probe exists.
  std::vector<HardwarePeak> LoadHardwarePeaks();

  // Schema version, PRAGMA integrity_check and row counts. Never writes.
  StoreCheck Check();

  Database& database() { return db_; }

 private:
  explicit ResultsStore(Database db) : db_(std::move(db)) {}
  Database db_;
};

// Applies the connection settings every infermeter connection uses (foreign keys on; for
// writers WAL and synchronous=NORMAL). Used by ResultsStore and ResultsWriter.
void ConfigureConnection(Database& db, bool writer);

// JSON object text for a label map: {"k":"v",...}.
std::string LabelsToJson(const std::map<std::string, std::string>& labels);
std::map<std::string, std::string> LabelsFromJson(const std::string& json);

}  // namespace infermeter::results
