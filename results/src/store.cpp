#include "infermeter/results/store.h"

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/core/version.h"
#include "infermeter/results/chunk_codec.h"
#include "infermeter/results/schema.h"

namespace infermeter::results {
namespace {

constexpr const char* kRunColumns =
    "id, name, created_unix_ns, finished_unix_ns, status, engine, model, hardware, "
    "workload_name, workload_hash, config, labels, infermeter_version, git_revision, "
    "clock_origin_unix_ns, clock_origin_monotonic_ns, "
    "(SELECT count(*) FROM requests WHERE requests.run_id = runs.id), "
    "validity, validity_reasons, group_id, group_point, collectors";

RunRow ReadRun(const Statement& s) {
  RunRow row;
  row.id = RunId(s.ColumnInt(0));
  row.info.name = s.ColumnText(1);
  row.created_unix_ns = s.ColumnInt(2);
  row.finished_unix_ns = s.ColumnOptionalInt(3);
  row.status = ParseRunStatus(s.ColumnText(4));
  row.info.engine = s.ColumnText(5);
  row.info.model = s.ColumnText(6);
  row.info.hardware_json = s.ColumnText(7);
  row.info.workload_name = s.ColumnText(8);
  row.info.workload_hash = s.ColumnText(9);
  row.info.config_json = s.ColumnText(10);
  row.info.labels = LabelsFromJson(s.ColumnText(11));
  row.infermeter_version = s.ColumnText(12);
  row.git_revision = s.ColumnText(13);
  row.info.clock_origin = {s.ColumnInt(14), s.ColumnInt(15)};
  row.request_count = s.ColumnInt(16);
  if (!s.IsNull(17)) row.validity = ParseValidity(s.ColumnText(17));
  const auto reasons = nlohmann::json::parse(s.ColumnText(18), nullptr, false);
  if (reasons.is_array()) {
    for (const auto& reason : reasons) {
      row.validity_reasons.push_back(reason.is_string() ? reason.get<std::string>()
                                                        : reason.dump());
    }
  }
  row.info.group_id = s.ColumnOptionalInt(19);
  if (!s.IsNull(20)) row.info.group_point = s.ColumnText(20);
  row.collectors_json = s.ColumnText(21);
  return row;
}

}  // namespace

void ConfigureConnection(Database& db, bool writer) {
  db.Execute("PRAGMA foreign_keys = ON");
  if (writer) {
    // WAL: readers never block the writer and the writer never blocks readers.
    // synchronous=NORMAL: in WAL mode a power loss can lose the last commits but never corrupts
    // the file, and commits do not wait for fsync (the writer commits at least once a second).
    const std::string mode = db.QueryText("PRAGMA journal_mode = WAL");
    if (mode != "wal") {
      throw Error(
          fmt::format("'{}': cannot switch to WAL journal mode (got '{}'); is the file on "
                      "a network file system?",
                      db.path(), mode));
    }
    db.Execute("PRAGMA synchronous = NORMAL");
  }
}

namespace {

// Text from users or engines may not be valid UTF-8; JSON must be. Bad bytes become U+FFFD
// rather than an exception halfway through finishing a run.
std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string LabelsToJson(const std::map<std::string, std::string>& labels) {
  return DumpJson(nlohmann::json(labels));
}

std::map<std::string, std::string> LabelsFromJson(const std::string& json) {
  const auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  std::map<std::string, std::string> labels;
  if (!parsed.is_object()) return labels;
  for (const auto& [key, value] : parsed.items()) {
    labels[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return labels;
}

ResultsStore ResultsStore::OpenForWriting(const std::string& path, int page_size_bytes) {
  Database db(path, OpenMode::kReadWriteCreate);
  // A plain integer from our own code, not input; PRAGMAs take no bound parameters.
  db.Execute(fmt::format("PRAGMA page_size = {}", page_size_bytes));
  // Migrate first: it refuses a foreign, corrupt or newer file before anything is changed,
  // including the journal mode.
  Migrate(db);
  ConfigureConnection(db, /*writer=*/true);
  return ResultsStore(std::move(db));
}

namespace {

void RequireExistingFile(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    throw Error(
        fmt::format("no results database at '{}' (pass --db FILE or set INFERMETER_DB)", path));
  }
  if (std::filesystem::is_directory(path)) {
    throw Error(fmt::format("'{}' is a directory; expected a results database file", path));
  }
}

}  // namespace

ResultsStore ResultsStore::OpenForReading(const std::string& path) {
  RequireExistingFile(path);
  Database db(path, OpenMode::kReadOnly);
  RequireCurrentSchema(db);
  ConfigureConnection(db, /*writer=*/false);
  return ResultsStore(std::move(db));
}

ResultsStore ResultsStore::OpenForEditing(const std::string& path) {
  RequireExistingFile(path);
  Database db(path, OpenMode::kReadWrite);
  RequireCurrentSchema(db);
  // Not a run writer: the file is already in WAL mode; foreign keys make a delete cascade.
  ConfigureConnection(db, /*writer=*/false);
  return ResultsStore(std::move(db));
}

RunId ResultsStore::BeginRun(const RunInfo& info) {
  Statement s(db_,
              "INSERT INTO runs (name, created_unix_ns, status, engine, model, hardware, "
              "workload_name, workload_hash, config, labels, infermeter_version, git_revision, "
              "clock_origin_unix_ns, clock_origin_monotonic_ns, group_id, group_point) "
              "VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, info.name);
  s.Bind(2, WallNs());
  s.Bind(3, info.engine);
  s.Bind(4, info.model);
  s.Bind(5, info.hardware_json);
  s.Bind(6, info.workload_name);
  s.Bind(7, info.workload_hash);
  s.Bind(8, info.config_json);
  s.Bind(9, LabelsToJson(info.labels));
  s.Bind(10, Version());
  if (GitRevision() == "unknown") {
    s.BindNull(11);
  } else {
    s.Bind(11, GitRevision());
  }
  s.Bind(12, info.clock_origin.wall_unix_ns);
  s.Bind(13, info.clock_origin.monotonic_ns);
  s.Bind(14, info.group_id);
  if (info.group_point.empty()) {
    s.BindNull(15);
  } else {
    s.Bind(15, info.group_point);
  }
  s.Run();
  return RunId(db_.LastInsertRowId());
}

void ResultsStore::FinishRun(RunId run, RunStatus status, std::int64_t finished_unix_ns) {
  Statement s(db_, "UPDATE runs SET status = ?, finished_unix_ns = ? WHERE id = ?");
  s.Bind(1, ToString(status));
  s.Bind(2, finished_unix_ns);
  s.Bind(3, run.value);
  s.Run();
  if (db_.Changes() != 1)
    throw Error(fmt::format("no run with id {} in '{}'", run.value, db_.path()));
}

void ResultsStore::RenameRun(RunId run, const std::string& name) {
  Statement s(db_, "UPDATE runs SET name = ? WHERE id = ?");
  s.Bind(1, name);
  s.Bind(2, run.value);
  s.Run();
  if (db_.Changes() != 1)
    throw Error(fmt::format("no run with id {} in '{}'", run.value, db_.path()));
}

void ResultsStore::DeleteRun(RunId run) {
  Transaction transaction(db_);
  Statement s(db_, "DELETE FROM runs WHERE id = ?");
  s.Bind(1, run.value);
  s.Run();
  if (db_.Changes() != 1)
    throw Error(fmt::format("no run with id {} in '{}'", run.value, db_.path()));
  transaction.Commit();
}

void ResultsStore::SetRunValidity(RunId run, Validity validity,
                                  const std::vector<std::string>& reasons) {
  Statement s(db_, "UPDATE runs SET validity = ?, validity_reasons = ? WHERE id = ?");
  s.Bind(1, ToString(validity));
  s.Bind(2, DumpJson(nlohmann::json(reasons)));
  s.Bind(3, run.value);
  s.Run();
  if (db_.Changes() != 1)
    throw Error(fmt::format("no run with id {} in '{}'", run.value, db_.path()));
}

void ResultsStore::SetRunCollectors(RunId run, const std::string& collectors_json) {
  const auto parsed = nlohmann::json::parse(collectors_json, nullptr, false);
  if (!parsed.is_object()) throw Error("run collectors: expected a JSON object");
  Statement s(db_, "UPDATE runs SET collectors = ? WHERE id = ?");
  s.Bind(1, DumpJson(parsed));
  s.Bind(2, run.value);
  s.Run();
  if (db_.Changes() != 1)
    throw Error(fmt::format("no run with id {} in '{}'", run.value, db_.path()));
}

std::int64_t ResultsStore::BeginGroup(const RunGroup& group) {
  Statement s(db_,
              "INSERT INTO run_groups (kind, name, created_unix_ns, config, result) "
              "VALUES (?, ?, ?, ?, ?)");
  s.Bind(1, ToString(group.kind));
  s.Bind(2, group.name);
  s.Bind(3, WallNs());
  s.Bind(4, group.config_json);
  s.Bind(5, group.result_json);
  s.Run();
  return db_.LastInsertRowId();
}

void ResultsStore::SetGroupResult(std::int64_t group_id, const std::string& result_json) {
  Statement s(db_, "UPDATE run_groups SET result = ? WHERE id = ?");
  s.Bind(1, result_json);
  s.Bind(2, group_id);
  s.Run();
  if (db_.Changes() != 1)
    throw Error(fmt::format("no run group with id {} in '{}'", group_id, db_.path()));
}

std::vector<RunGroup> ResultsStore::ListGroups() {
  Statement s(db_,
              "SELECT id, kind, name, created_unix_ns, config, result FROM run_groups ORDER BY id");
  std::vector<RunGroup> groups;
  while (s.Step()) {
    RunGroup g;
    g.id = s.ColumnInt(0);
    g.kind = ParseRunGroupKind(s.ColumnText(1));
    g.name = s.ColumnText(2);
    g.created_unix_ns = s.ColumnInt(3);
    g.config_json = s.ColumnText(4);
    g.result_json = s.ColumnText(5);
    groups.push_back(std::move(g));
  }
  return groups;
}

std::vector<RunRow> ResultsStore::ListRuns() {
  Statement s(db_, fmt::format("SELECT {} FROM runs ORDER BY id", kRunColumns));
  std::vector<RunRow> rows;
  while (s.Step()) rows.push_back(ReadRun(s));
  return rows;
}

std::optional<RunRow> ResultsStore::GetRun(RunId run) {
  Statement s(db_, fmt::format("SELECT {} FROM runs WHERE id = ?", kRunColumns));
  s.Bind(1, run.value);
  if (!s.Step()) return std::nullopt;
  return ReadRun(s);
}

std::vector<RequestRecord> ResultsStore::LoadRequests(RunId run) {
  Statement s(db_,
              "SELECT r.request_id, r.session_id, r.turn_index, r.scheduled_ns, r.sent_ns, "
              "r.first_token_ns, r.last_token_ns, r.done_ns, r.input_tokens, r.cached_tokens, "
              "r.output_tokens, r.requested_output_tokens, r.finish_reason, r.status, "
              "r.error_class, r.error_message, c.data, r.released_ns, r.engine_queue_ns, "
              "r.connected_ns, r.first_byte_ns, r.first_visible_token_ns, r.reasoning_tokens "
              "FROM requests r LEFT JOIN request_chunks c "
              "ON c.run_id = r.run_id AND c.request_id = r.request_id "
              "WHERE r.run_id = ? ORDER BY r.request_id");
  s.Bind(1, run.value);
  std::vector<RequestRecord> requests;
  while (s.Step()) {
    RequestRecord r;
    r.run_id = run;
    r.request_id = s.ColumnInt(0);
    if (!s.IsNull(1)) r.session_id = s.ColumnText(1);
    if (!s.IsNull(2)) r.turn_index = static_cast<std::int32_t>(s.ColumnInt(2));
    r.scheduled_ns = s.ColumnInt(3);
    r.sent_ns = s.ColumnOptionalInt(4);
    r.first_token_ns = s.ColumnOptionalInt(5);
    r.last_token_ns = s.ColumnOptionalInt(6);
    r.done_ns = s.ColumnOptionalInt(7);
    r.input_tokens = s.ColumnInt(8);
    r.cached_tokens = s.ColumnInt(9);
    r.output_tokens = s.ColumnInt(10);
    r.requested_output_tokens = s.ColumnOptionalInt(11);
    r.finish_reason = s.ColumnText(12);
    r.status = ParseRequestStatus(s.ColumnText(13));
    r.error_class = s.ColumnText(14);
    r.error_message = s.ColumnText(15);
    r.released_ns = s.ColumnOptionalInt(17);
    r.engine_queue_ns = s.ColumnOptionalInt(18);
    r.connected_ns = s.ColumnOptionalInt(19);
    r.first_byte_ns = s.ColumnOptionalInt(20);
    r.first_visible_token_ns = s.ColumnOptionalInt(21);
    r.reasoning_tokens = s.ColumnOptionalInt(22);
    if (!s.IsNull(16)) {
      const std::vector<std::uint8_t> blob = s.ColumnBlob(16);
      r.chunks = DecodeChunkArrivals(blob, ChunkBaseNs(r));
    }
    requests.push_back(std::move(r));
  }
  return requests;
}

std::vector<SampleRecord> ResultsStore::LoadSamples(RunId run) {
  Statement s(db_,
              "SELECT time_ns, source, metric, labels, value FROM samples WHERE run_id = ? "
              "ORDER BY metric, time_ns");
  s.Bind(1, run.value);
  std::vector<SampleRecord> samples;
  while (s.Step()) {
    samples.push_back({run, s.ColumnInt(0), s.ColumnText(1), s.ColumnText(2), s.ColumnText(3),
                       s.ColumnDouble(4)});
  }
  return samples;
}

std::vector<RunMetric> ResultsStore::LoadRunMetrics(RunId run) {
  Statement s(db_, "SELECT name, value, unit FROM run_metrics WHERE run_id = ? ORDER BY name");
  s.Bind(1, run.value);
  std::vector<RunMetric> metrics;
  while (s.Step()) metrics.push_back({run, s.ColumnText(0), s.ColumnDouble(1), s.ColumnText(2)});
  return metrics;
}

std::int64_t ResultsStore::RecordHardwarePeak(const HardwarePeak& peak) {
  Statement s(db_,
              "INSERT INTO hardware_peaks (measured_unix_ns, host, cpu_model, logical_cores, "
              "metric, dtype, value, method, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, peak.measured_unix_ns);
  s.Bind(2, peak.host);
  s.Bind(3, peak.cpu_model);
  s.Bind(4, peak.logical_cores);
  s.Bind(5, peak.metric);
  s.Bind(6, peak.dtype);
  s.Bind(7, peak.value);
  s.Bind(8, peak.method);
  s.Bind(9, peak.details_json);
  s.Run();
  return db_.LastInsertRowId();
}

std::vector<HardwarePeak> ResultsStore::LoadHardwarePeaks() {
  // A full probe beats a `--quick` one (small sizes, one repetition: a smoke test, not a peak)
  // whatever their order; then the latest wins, and the highest id breaks a tie in
  // measured_unix_ns (two rows recorded within one clock tick).
  Statement s(db_,
              "SELECT id, measured_unix_ns, host, cpu_model, logical_cores, metric, dtype, value, "
              "method, details FROM hardware_peaks p WHERE id = ("
              "SELECT q.id FROM hardware_peaks q WHERE q.host = p.host AND q.metric = p.metric "
              "AND q.dtype = p.dtype ORDER BY coalesce(json_extract(q.details, '$.quick'), 0), "
              "q.measured_unix_ns DESC, q.id DESC LIMIT 1) "
              "ORDER BY host, metric, dtype");
  std::vector<HardwarePeak> peaks;
  while (s.Step()) {
    HardwarePeak peak;
    peak.id = s.ColumnInt(0);
    peak.measured_unix_ns = s.ColumnInt(1);
    peak.host = s.ColumnText(2);
    peak.cpu_model = s.ColumnText(3);
    peak.logical_cores = static_cast<int>(s.ColumnInt(4));
    peak.metric = s.ColumnText(5);
    peak.dtype = s.ColumnText(6);
    peak.value = s.ColumnDouble(7);
    peak.method = s.ColumnText(8);
    peak.details_json = s.ColumnText(9);
    peaks.push_back(std::move(peak));
  }
  return peaks;
}

StoreCheck ResultsStore::Check() {
  StoreCheck check;
  check.schema_version = static_cast<int>(db_.QueryInt("PRAGMA user_version"));
  check.current_schema_version = CurrentSchemaVersion();
  check.journal_mode = db_.QueryText("PRAGMA journal_mode");
  {
    Statement s(db_, "PRAGMA integrity_check");
    while (s.Step()) {
      const std::string line = s.ColumnText(0);
      if (line != "ok") check.integrity_problems.push_back(line);
    }
  }
  // Table names are fixed strings of this schema, not input.
  check.runs = db_.QueryInt("SELECT count(*) FROM runs");
  check.requests = db_.QueryInt("SELECT count(*) FROM requests");
  check.request_chunks = db_.QueryInt("SELECT count(*) FROM request_chunks");
  check.samples = db_.QueryInt("SELECT count(*) FROM samples");
  check.run_metrics = db_.QueryInt("SELECT count(*) FROM run_metrics");
  if (check.schema_version >= 2) {
    check.hardware_peaks = db_.QueryInt("SELECT count(*) FROM hardware_peaks");
    if (check.schema_version >= 3)
      check.run_groups = db_.QueryInt("SELECT count(*) FROM run_groups");
  }
  return check;
}

}  // namespace infermeter::results
