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
  // Runs that were never judged and belong to no group.
  EXPECT_TRUE(runs[0]["validity"].is_null());
  EXPECT_EQ(runs[0]["validity_reasons"], nlohmann::json::array());
  EXPECT_TRUE(runs[0]["group_id"].is_null());
  EXPECT_TRUE(runs[0]["group_point"].is_null());
}

// Three runs of schema version 3: a valid one in a sweep, an invalid one in no group, and one
// still running (no verdict yet).
void MakeVerdictFixture(const std::string& path) {
  auto store = results::ResultsStore::OpenForWriting(path);
  const std::int64_t group =
      store.BeginGroup({.kind = results::RunGroupKind::kSweep, .name = "sweep rate=4"});
  results::RunInfo info{.name = "swept", .engine = "reference", .model = "v4-mini"};
  info.group_id = group;
  info.group_point = "rate=4";
  const RunId swept = store.BeginRun(info);
  store.SetRunValidity(swept, results::Validity::kValid, {});
  store.FinishRun(swept, results::RunStatus::kCompleted, WallNs());
  const RunId judged = store.BeginRun({.name = "judged", .engine = "reference"});
  store.SetRunValidity(
      judged, results::Validity::kInvalid,
      {"schedule lag p99 is 9.000 ms, above 5.000 ms", "the run was \"cut\" — short"});
  store.FinishRun(judged, results::RunStatus::kInterrupted, WallNs());
  store.BeginRun({.name = "still running", .engine = "reference"});
}

// The line of `text` that contains `needle`, or "".
std::string LineWith(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  if (at == std::string::npos) return "";
  const auto newline = text.rfind('\n', at);
  const auto begin = newline == std::string::npos ? 0 : newline + 1;
  const auto end = text.find('\n', at);
  return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

TEST(Cli, RunsShowValidityAndGroup) {
  testing::TempDir dir;
  const std::string db = dir.File("results.db");
  MakeVerdictFixture(db);

  const auto table = RunProcess(Bin() + " runs --db " + ShellQuote(db));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  const std::string header = LineWith(table.out, "CREATED (UTC)");
  EXPECT_LT(header.find("STATUS"), header.find("VALIDITY")) << table.out;
  EXPECT_LT(header.find("VALIDITY"), header.find("NAME")) << table.out;
  EXPECT_LT(header.find("WORKLOAD"), header.find("GROUP")) << table.out;
  EXPECT_LT(header.find("GROUP"), header.find("REQUESTS")) << table.out;
  const std::string swept = LineWith(table.out, "swept");
  EXPECT_NE(swept.find("completed    VALID "), std::string::npos) << table.out;
  EXPECT_NE(swept.find("  1 rate=4  "), std::string::npos) << table.out;
  EXPECT_NE(LineWith(table.out, "judged").find("interrupted  INVALID  "), std::string::npos)
      << table.out;
  EXPECT_NE(LineWith(table.out, "still running").find("running      -         "), std::string::npos)
      << table.out;
  // Every row lines up under the header: the NAME column starts at the same byte.
  const auto name_at = header.find("NAME");
  EXPECT_EQ(swept.find("swept"), name_at) << table.out;
  EXPECT_EQ(LineWith(table.out, "judged").find("judged"), name_at) << table.out;
  EXPECT_EQ(LineWith(table.out, "still running").find("still running"), name_at) << table.out;

  const auto json = RunProcess(Bin() + " runs --json --db " + ShellQuote(db));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto runs = nlohmann::json::parse(json.out);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0]["validity"], "valid");
  EXPECT_EQ(runs[0]["validity_reasons"], nlohmann::json::array());
  EXPECT_EQ(runs[0]["group_id"], 1);
  EXPECT_EQ(runs[0]["group_point"], "rate=4");
  EXPECT_EQ(runs[1]["validity"], "invalid");
  EXPECT_EQ(runs[1]["validity_reasons"],
            (nlohmann::json{"schedule lag p99 is 9.000 ms, above 5.000 ms",
                            "the run was \"cut\" — short"}));
  EXPECT_TRUE(runs[1]["group_id"].is_null());
  EXPECT_TRUE(runs[1]["group_point"].is_null());
  EXPECT_TRUE(runs[2]["validity"].is_null());
  EXPECT_EQ(runs[2]["validity_reasons"], nlohmann::json::array());

  const auto check = RunProcess(Bin() + " db check --json --db " + ShellQuote(db));
  ASSERT_EQ(check.exit_code, 0) << check.err;
  EXPECT_EQ(nlohmann::json::parse(check.out)["counts"]["run_groups"], 1);
  const auto text = RunProcess(Bin() + " db check --db " + ShellQuote(db));
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("\nrun_groups      1\n"), std::string::npos) << text.out;
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
  EXPECT_EQ(report["counts"]["run_groups"], 0);

  const auto text = RunProcess(Bin() + " db check --db " + ShellQuote(db));
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("integrity       ok"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("run_groups      0"), std::string::npos) << text.out;
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
