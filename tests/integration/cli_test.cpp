// The `infermeter` binary end to end: real processes, real SQLite files, and the real `sqlite3`
// shell as a third-party reader.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "infermeter/results/schema.h"
#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"
#include "process.h"
#include "temp_db.h"

namespace infermeter {
namespace {

using testing::RunProcess;
using testing::ShellQuote;

std::string Bin() { return ShellQuote(INFERMETER_BIN); }

// A results file with two finished runs and their requests.
void MakeFixture(const std::string& path) {
  auto store = results::ResultsStore::OpenForWriting(path);
  for (int r = 0; r < 2; ++r) {
    results::RunInfo info;
    info.name = r == 0 ? "first run" : "second run";
    info.engine = "reference";
    info.model = r == 0 ? "v4-mini" : "v3.2-mini";
    info.workload_name = "agentic";
    info.workload_hash = "sha256:1234";
    info.labels = {{"hw", r == 0 ? "cpu-a" : "cpu-b"}};
    const RunId run = store.BeginRun(info);
    results::ResultsWriter writer(path);
    for (int i = 0; i < 10 + r; ++i) {
      results::RequestRecord request;
      request.run_id = run;
      request.request_id = i;
      request.input_tokens = 5;
      writer.Add(std::move(request));
    }
    writer.Close();
    store.FinishRun(run, results::RunStatus::kCompleted, WallNs());
  }
}

TEST(Cli, VersionAndHelp) {
  const auto version = RunProcess(Bin() + " --version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("infermeter 0."), std::string::npos) << version.out;

  const auto help = RunProcess(Bin() + " --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* command : {"runs", "db"}) {
    EXPECT_NE(help.out.find(command), std::string::npos) << help.out;
  }
}

TEST(Cli, UnknownCommandIsAUsageError) {
  const auto result = RunProcess(Bin() + " frobnicate");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_FALSE(result.err.empty());
}

TEST(Cli, RunsListsRunsAsTableAndJson) {
  testing::TempDir dir;
  const std::string db = dir.File("results.db");
  MakeFixture(db);

  const auto table = RunProcess(Bin() + " runs --db " + ShellQuote(db));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("first run"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("second run"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("hw=cpu-b"), std::string::npos) << table.out;

  // INFERMETER_DB is the fallback for --db.
  const auto json = RunProcess("INFERMETER_DB=" + ShellQuote(db) + " " + Bin() + " runs --json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto runs = nlohmann::json::parse(json.out);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["name"], "first run");
  EXPECT_EQ(runs[0]["status"], "completed");
  EXPECT_EQ(runs[1]["model"], "v3.2-mini");
  EXPECT_EQ(runs[1]["requests"], 11);
  EXPECT_EQ(runs[1]["labels"]["hw"], "cpu-b");
  EXPECT_EQ(runs[0]["workload"]["hash"], "sha256:1234");
}

TEST(Cli, RunsOnAMissingFileExplainsAndCreatesNothing) {
  testing::TempDir dir;
  const std::string db = dir.File("none.db");
  const auto result = RunProcess(Bin() + " runs --db " + ShellQuote(db));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("no results database at"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(db));
}

TEST(Cli, DbCheckReportsVersionIntegrityAndCounts) {
  testing::TempDir dir;
  const std::string db = dir.File("results.db");
  MakeFixture(db);
  const auto result = RunProcess(Bin() + " db check --json --db " + ShellQuote(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["schema_version"], results::CurrentSchemaVersion());
  EXPECT_EQ(report["integrity"], "ok");
  EXPECT_EQ(report["journal_mode"], "wal");
  EXPECT_EQ(report["counts"]["runs"], 2);
  EXPECT_EQ(report["counts"]["requests"], 21);

  const auto text = RunProcess(Bin() + " db check --db " + ShellQuote(db));
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("integrity       ok"), std::string::npos) << text.out;
}

TEST(Cli, DbCheckOnACorruptFileFailsClearly) {
  testing::TempDir dir;
  const std::string db = dir.File("corrupt.db");
  std::ofstream(db) << std::string(8192, 'x');
  const auto result = RunProcess(Bin() + " db check --db " + ShellQuote(db));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("not a readable SQLite database"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(db), std::string::npos) << result.err;
}

TEST(Cli, DbCheckOnANewerFileSaysToUpgrade) {
  testing::TempDir dir;
  const std::string db = dir.File("newer.db");
  MakeFixture(db);
  {
    results::Database raw(db, results::OpenMode::kReadWrite);
    raw.Execute("PRAGMA user_version = 7");
  }
  const auto result = RunProcess(Bin() + " db check --db " + ShellQuote(db));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("newer than this infermeter"), std::string::npos) << result.err;
}

TEST(Cli, SqliteShellReadsWhileTheWriterWrites) {
  testing::TempDir dir;
  const std::string db = dir.File("live.db");
  RunId run;
  {
    auto store = results::ResultsStore::OpenForWriting(db);
    run = store.BeginRun({.name = "live"});
  }
  results::ResultsWriter writer(db, {.flush_interval_ms = 1});
  int added = 0;
  std::int64_t last_seen = 0;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 200; ++i) {
      results::RequestRecord r;
      r.run_id = run;
      r.request_id = added++;
      r.input_tokens = 1;
      writer.Add(std::move(r));
    }
    writer.Flush();
    // The real sqlite3 shell, read-only, while our writer's connection stays open.
    const auto read =
        RunProcess("sqlite3 -readonly " + ShellQuote(db) + " 'SELECT count(*) FROM requests'");
    ASSERT_EQ(read.exit_code, 0) << read.err;
    const std::int64_t seen = std::stoll(read.out);
    EXPECT_GE(seen, last_seen);
    EXPECT_EQ(seen, added);
    last_seen = seen;
  }
}

}  // namespace
}  // namespace infermeter
