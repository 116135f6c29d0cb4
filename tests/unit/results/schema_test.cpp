#include "infermeter/results/schema.h"

#include <gtest/gtest.h>

#include <fstream>

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

TEST(Schema, NewFileIsMigratedToTheCurrentVersion) {
  testing::TempDir dir;
  Database db(dir.File("new.db"), OpenMode::kReadWriteCreate);
  const MigrationResult result = Migrate(db);
  EXPECT_EQ(result.from_version, 0);
  EXPECT_EQ(result.to_version, CurrentSchemaVersion());
  EXPECT_EQ(db.QueryInt("PRAGMA user_version"), CurrentSchemaVersion());
  EXPECT_EQ(db.QueryInt("PRAGMA application_id"), kApplicationId);
  for (const char* table :
       {"runs", "requests", "request_chunks", "samples", "run_metrics", "hardware_peaks"}) {
    EXPECT_EQ(TableCount(db, table), 1) << table;
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
    db.Execute(
        "INSERT INTO runs (name, created_unix_ns, status, engine, model, workload_name, "
        "workload_hash, infermeter_version, clock_origin_unix_ns, clock_origin_monotonic_ns) "
        "VALUES ('v1 run', 1, 'completed', 'reference', 'tiny', 'w', 'h', '0.1.0', 1, 1)");
  }
  auto store = ResultsStore::OpenForWriting(path);
  EXPECT_EQ(store.database().QueryInt("PRAGMA user_version"), 2);
  EXPECT_EQ(TableCount(store.database(), "hardware_peaks"), 1);
  const auto runs = store.ListRuns();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].info.name, "v1 run");
  EXPECT_TRUE(store.LoadHardwarePeaks().empty());
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
