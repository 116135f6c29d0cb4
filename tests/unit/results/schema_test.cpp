#include "infermeter/results/schema.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "infermeter/results/store.h"
#include "temp_db.h"

namespace infermeter::results {
namespace {

std::int64_t TableCount(Database& db, const std::string& name) {
  Statement s(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?");
  s.Bind(1, name);
  s.Step();
  return s.ColumnInt(0);
}

std::int64_t ColumnCount(Database& db, const std::string& table, const std::string& column) {
  Statement s(db, "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?");
  s.Bind(1, table);
  s.Bind(2, column);
  s.Step();
  return s.ColumnInt(0);
}

// The columns schema version 3 adds to existing tables.
const std::vector<std::pair<std::string, std::string>> kVersion3Columns = {
    {"runs", "validity"},    {"runs", "validity_reasons"}, {"runs", "group_id"},
    {"runs", "group_point"}, {"requests", "released_ns"},  {"requests", "engine_queue_ns"},
};

// The columns schema version 5 adds to `requests`.
const std::vector<std::string> kVersion5RequestColumns = {
    "connected_ns", "first_byte_ns", "first_visible_token_ns", "reasoning_tokens"};

// Inserts a run with only the columns of schema versions 1 and 2, as an older infermeter did.
void InsertOldRun(Database& db, const std::string& name) {
  Statement s(db,
              "INSERT INTO runs (name, created_unix_ns, status, engine, model, workload_name, "
              "workload_hash, infermeter_version, clock_origin_unix_ns, "
              "clock_origin_monotonic_ns) "
              "VALUES (?, 1, 'completed', 'reference', 'tiny', 'w', 'h', '0.1.0', 1, 1)");
  s.Bind(1, name);
  s.Run();
}

TEST(Schema, NewFileIsMigratedToTheCurrentVersion) {
  testing::TempDir dir;
  Database db(dir.File("new.db"), OpenMode::kReadWriteCreate);
  const MigrationResult result = Migrate(db);
  EXPECT_EQ(result.from_version, 0);
  EXPECT_EQ(result.to_version, CurrentSchemaVersion());
  EXPECT_EQ(db.QueryInt("PRAGMA user_version"), CurrentSchemaVersion());
  EXPECT_EQ(db.QueryInt("PRAGMA application_id"), kApplicationId);
  for (const char* table : {"runs", "requests", "request_chunks", "samples", "run_metrics",
                            "hardware_peaks", "run_groups"}) {
    EXPECT_EQ(TableCount(db, table), 1) << table;
  }
  for (const auto& [table, column] : kVersion3Columns) {
    EXPECT_EQ(ColumnCount(db, table, column), 1) << table << "." << column;
  }
  for (const std::string& column : kVersion5RequestColumns) {
    EXPECT_EQ(ColumnCount(db, "requests", column), 1) << column;
  }
  // Migrating again is a no-op.
  const MigrationResult again = Migrate(db);
  EXPECT_EQ(again.from_version, again.to_version);
}

// The real schema plus one more version that adds a column and back-fills it, standing in for
// the next real migration.
int NextVersion() { return CurrentSchemaVersion() + 1; }

std::vector<Migration> MigrationsWithNext(bool next_fails) {
  std::vector<Migration> steps(SchemaMigrations().begin(), SchemaMigrations().end());
  steps.push_back({NextVersion(), "add runs.note", [next_fails](Database& db) {
                     db.Execute("ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''");
                     db.Execute("UPDATE runs SET note = 'migrated ' || name");
                     if (next_fails) db.Execute("SELECT * FROM no_such_table");
                   }});
  return steps;
}

TEST(Schema, OldFileIsMigratedKeepingItsData) {
  testing::TempDir dir;
  const std::string path = dir.File("old.db");
  {
    auto store = ResultsStore::OpenForWriting(path);  // a current file with one run
    store.BeginRun({.name = "before", .engine = "reference", .model = "tiny"});
  }
  Database db(path, OpenMode::kReadWrite);
  const auto steps = MigrationsWithNext(/*next_fails=*/false);
  const MigrationResult result = Migrate(db, steps);
  EXPECT_EQ(result.from_version, CurrentSchemaVersion());
  EXPECT_EQ(result.to_version, NextVersion());
  EXPECT_EQ(db.QueryInt("PRAGMA user_version"), NextVersion());
  EXPECT_EQ(db.QueryText("SELECT note FROM runs"), "migrated before");
}

TEST(Schema, FailedMigrationChangesNothing) {
  testing::TempDir dir;
  const std::string path = dir.File("old.db");
  { ResultsStore::OpenForWriting(path).BeginRun({.name = "kept"}); }
  Database db(path, OpenMode::kReadWrite);
  const auto steps = MigrationsWithNext(/*next_fails=*/true);
  try {
    Migrate(db, steps);
    FAIL() << "expected the migration to fail";
  } catch (const SchemaError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(fmt::format("migration to schema version {}", NextVersion())),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("nothing was changed"), std::string::npos) << message;
  }
  EXPECT_EQ(db.QueryInt("PRAGMA user_version"), CurrentSchemaVersion());
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'note'"), 0);
  EXPECT_EQ(db.QueryText("SELECT name FROM runs"), "kept");
}

TEST(Schema, VersionOneFileGainsHardwarePeaksKeepingItsRuns) {
  testing::TempDir dir;
  const std::string path = dir.File("v1.db");
  {
    Database db(path, OpenMode::kReadWriteCreate);
    Migrate(db, SchemaMigrations().first(1));
    ASSERT_EQ(db.QueryInt("PRAGMA user_version"), 1);
    ASSERT_EQ(TableCount(db, "hardware_peaks"), 0);
    InsertOldRun(db, "v1 run");
  }
  // Opening for writing takes a version 1 file through every later step at once.
  auto store = ResultsStore::OpenForWriting(path);
  EXPECT_EQ(store.database().QueryInt("PRAGMA user_version"), CurrentSchemaVersion());
  EXPECT_EQ(TableCount(store.database(), "hardware_peaks"), 1);
  EXPECT_EQ(TableCount(store.database(), "run_groups"), 1);
  const auto runs = store.ListRuns();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].info.name, "v1 run");
  EXPECT_FALSE(runs[0].validity.has_value());
  EXPECT_TRUE(store.LoadHardwarePeaks().empty());
}

TEST(Schema, VersionTwoFileGainsVersionThreeKeepingItsRows) {
  testing::TempDir dir;
  const std::string path = dir.File("v2.db");
  {
    Database db(path, OpenMode::kReadWriteCreate);
    const MigrationResult built = Migrate(db, SchemaMigrations().first(2));
    ASSERT_EQ(built.to_version, 2);
    ASSERT_EQ(db.QueryInt("PRAGMA user_version"), 2);
    ASSERT_EQ(TableCount(db, "run_groups"), 0);
    for (const auto& [table, column] : kVersion3Columns) {
      ASSERT_EQ(ColumnCount(db, table, column), 0) << table << "." << column;
    }
    InsertOldRun(db, "v2 run");
    db.Execute(
        "INSERT INTO requests (run_id, request_id, scheduled_ns, sent_ns, input_tokens, "
        "output_tokens, status) VALUES (1, 7, 100, 150, 12, 0, 'ok')");
    db.Execute(
        "INSERT INTO run_metrics (run_id, name, value, unit) "
        "VALUES (1, 'output_tokens_per_s', 9.5, 'tokens/s')");
    db.Execute(
        "INSERT INTO hardware_peaks (measured_unix_ns, host, cpu_model, logical_cores, metric, "
        "value, method) VALUES (1, 'h', 'cpu', 2, 'gemm_flops_per_s', 1e9, 'm')");
  }
  // Readers never migrate: they say how to upgrade.
  try {
    ResultsStore::OpenForReading(path);
    FAIL() << "expected a reader to refuse a version 2 file";
  } catch (const SchemaError& e) {
    EXPECT_NE(std::string(e.what()).find("infermeter db migrate"), std::string::npos) << e.what();
  }
  {
    auto store = ResultsStore::OpenForWriting(path);
    EXPECT_EQ(store.database().QueryInt("PRAGMA user_version"), CurrentSchemaVersion());
    EXPECT_EQ(store.database().QueryInt("PRAGMA application_id"), kApplicationId);
    EXPECT_EQ(TableCount(store.database(), "run_groups"), 1);
    for (const auto& [table, column] : kVersion3Columns) {
      EXPECT_EQ(ColumnCount(store.database(), table, column), 1) << table << "." << column;
    }
    const auto runs = store.ListRuns();
    ASSERT_EQ(runs.size(), 1u);
    const RunRow& old = runs[0];
    EXPECT_EQ(old.info.name, "v2 run");
    EXPECT_EQ(old.status, RunStatus::kCompleted);
    EXPECT_EQ(old.request_count, 1);
    EXPECT_FALSE(old.validity.has_value());  // judged by no one: neither valid nor invalid
    EXPECT_TRUE(old.validity_reasons.empty());
    EXPECT_FALSE(old.info.group_id.has_value());
    EXPECT_EQ(old.info.group_point, "");
    const auto requests = store.LoadRequests(old.id);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].request_id, 7);
    EXPECT_EQ(requests[0].sent_ns, 150);
    EXPECT_FALSE(requests[0].released_ns.has_value());
    EXPECT_FALSE(requests[0].engine_queue_ns.has_value());
    EXPECT_EQ(store.LoadRunMetrics(old.id).size(), 1u);
    EXPECT_EQ(store.LoadHardwarePeaks().size(), 1u);
    EXPECT_TRUE(store.ListGroups().empty());

    // The migrated file takes version 3 data, old run included.
    store.SetRunValidity(old.id, Validity::kInvalid, {"judged after the upgrade"});
    const std::int64_t group = store.BeginGroup({.kind = RunGroupKind::kSweep, .name = "new"});
    RunInfo info{.name = "v3 run"};
    info.group_id = group;
    info.group_point = "rate=2";
    const RunId added = store.BeginRun(info);
    EXPECT_EQ(store.GetRun(added)->info.group_id, group);
    EXPECT_EQ(store.GetRun(old.id)->validity_reasons,
              std::vector<std::string>{"judged after the upgrade"});
    // Version 4: the old run has no collector record, and takes one.
    EXPECT_EQ(old.collectors_json, "{}");
    store.SetRunCollectors(old.id, R"({"flops":{"flops_source":"engine counters"}})");
    EXPECT_EQ(store.GetRun(old.id)->collectors_json,
              R"({"flops":{"flops_source":"engine counters"}})");
    EXPECT_THROW(store.SetRunCollectors(old.id, "[1]"), Error);
  }
  const StoreCheck check = ResultsStore::OpenForReading(path).Check();
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.schema_version, CurrentSchemaVersion());
  EXPECT_EQ(check.runs, 2);
  EXPECT_EQ(check.requests, 1);
  EXPECT_EQ(check.hardware_peaks, 1);
  EXPECT_EQ(check.run_groups, 1);
}

TEST(Schema, MigratingAVersionTwoFileExplicitlyReportsTheStep) {
  testing::TempDir dir;
  const std::string path = dir.File("v2.db");
  Database db(path, OpenMode::kReadWriteCreate);
  Migrate(db, SchemaMigrations().first(2));
  InsertOldRun(db, "kept");
  const MigrationResult result = Migrate(db);
  EXPECT_EQ(result.from_version, 2);
  EXPECT_EQ(result.to_version, CurrentSchemaVersion());
  EXPECT_EQ(db.QueryText("SELECT name FROM runs"), "kept");
  EXPECT_EQ(db.QueryText("SELECT validity_reasons FROM runs"), "[]");
}

TEST(Schema, VersionFourFileGainsVersionFiveKeepingItsRows) {
  testing::TempDir dir;
  const std::string path = dir.File("v4.db");
  {
    Database db(path, OpenMode::kReadWriteCreate);
    ASSERT_EQ(Migrate(db, SchemaMigrations().first(4)).to_version, 4);
    for (const std::string& column : kVersion5RequestColumns) {
      ASSERT_EQ(ColumnCount(db, "requests", column), 0) << column;
    }
    InsertOldRun(db, "v4 run");
    // A request as version 4 wrote it, with its chunks (sent at 150: one token at 400, two
    // tokens at 450).
    db.Execute(
        "INSERT INTO requests (run_id, request_id, scheduled_ns, sent_ns, first_token_ns, "
        "last_token_ns, done_ns, input_tokens, output_tokens, status, released_ns, "
        "engine_queue_ns) VALUES (1, 7, 100, 150, 400, 450, 460, 12, 3, 'ok', 120, 30)");
    db.Execute(
        "INSERT INTO request_chunks (run_id, request_id, chunk_count, data) "
        "VALUES (1, 7, 2, X'01F4036502')");
  }
  // Readers never migrate: they say how to upgrade.
  EXPECT_THROW(ResultsStore::OpenForReading(path), SchemaError);
  {
    Database db(path, OpenMode::kReadWrite);
    const MigrationResult result = Migrate(db);
    EXPECT_EQ(result.from_version, 4);
    EXPECT_EQ(result.to_version, CurrentSchemaVersion());
  }
  auto store = ResultsStore::OpenForWriting(path);
  for (const std::string& column : kVersion5RequestColumns) {
    EXPECT_EQ(ColumnCount(store.database(), "requests", column), 1) << column;
  }
  const auto runs = store.ListRuns();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].info.name, "v4 run");
  const auto requests = store.LoadRequests(runs[0].id);
  ASSERT_EQ(requests.size(), 1u);
  const RequestRecord& old = requests[0];
  EXPECT_EQ(old.request_id, 7);
  EXPECT_EQ(old.first_token_ns, 400);
  EXPECT_EQ(old.released_ns, 120);
  EXPECT_EQ(old.engine_queue_ns, 30);
  EXPECT_EQ(old.chunks, (std::vector<ChunkArrival>{{400, 1}, {450, 2}}));
  // What version 4 did not record is unknown, not zero.
  EXPECT_FALSE(old.connected_ns.has_value());
  EXPECT_FALSE(old.first_byte_ns.has_value());
  EXPECT_FALSE(old.first_visible_token_ns.has_value());
  EXPECT_FALSE(old.reasoning_tokens.has_value());
  const StoreCheck check = store.Check();
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.requests, 1);
  EXPECT_EQ(check.request_chunks, 1);
}

TEST(Schema, NewerFileIsRefusedWithAClearMessage) {
  testing::TempDir dir;
  const std::string path = dir.File("newer.db");
  {
    Database db(path, OpenMode::kReadWriteCreate);
    Migrate(db);
    db.Execute("PRAGMA user_version = 99");
  }
  try {
    ResultsStore::OpenForWriting(path);
    FAIL();
  } catch (const SchemaError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("schema version 99, newer than this infermeter understands"),
              std::string::npos)
        << message;
  }
  EXPECT_THROW(ResultsStore::OpenForReading(path), SchemaError);
}

TEST(Schema, ForeignSqliteFileIsRefusedUntouched) {
  testing::TempDir dir;
  const std::string path = dir.File("foreign.db");
  {
    Database db(path, OpenMode::kReadWriteCreate);
    db.Execute("CREATE TABLE photos (id INTEGER)");
  }
  try {
    ResultsStore::OpenForWriting(path);
    FAIL();
  } catch (const SchemaError& e) {
    EXPECT_NE(std::string(e.what()).find("not an infermeter results file"), std::string::npos)
        << e.what();
  }
  Database db(path, OpenMode::kReadOnly);
  EXPECT_EQ(db.QueryText("PRAGMA journal_mode"), "delete");  // not switched to WAL
  EXPECT_EQ(db.QueryInt("PRAGMA user_version"), 0);
}

TEST(Schema, CorruptFileFailsWithAClearMessage) {
  testing::TempDir dir;
  const std::string path = dir.File("corrupt.db");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 131) % 251));
  }
  for (bool writing : {true, false}) {
    try {
      if (writing) {
        ResultsStore::OpenForWriting(path);
      } else {
        ResultsStore::OpenForReading(path);
      }
      FAIL() << "expected an error";
    } catch (const SchemaError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(path), std::string::npos) << message;
      EXPECT_NE(message.find("not a readable SQLite database"), std::string::npos) << message;
      EXPECT_NE(message.find("file is not a database"), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace infermeter::results
