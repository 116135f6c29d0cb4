// Noticing a changed results file as the dashboard's reload timer asks: a commit by another
// connection, the file deleted and made again, the file missing or not a database.

#include "infermeter/dashboard/change_watch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"
#include "temp_db.h"

namespace infermeter::dashboard {
namespace {

results::RunInfo Info(const char* name) {
  results::RunInfo info;
  info.name = name;
  return info;
}

void RemoveDatabase(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

class ChangeWatchTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  const std::string path_ = dir_.File("runs.db");
};

TEST_F(ChangeWatchTest, FirstCallThenOnlyAfterACommit) {
  auto store = results::ResultsStore::OpenForWriting(path_);
  const RunId run = store.BeginRun(Info("a"));
  ChangeWatch watch(path_);
  EXPECT_TRUE(watch.Changed()) << "the first call";
  EXPECT_FALSE(watch.Changed());
  EXPECT_FALSE(watch.Changed());

  store.BeginRun(Info("b"));  // another connection commits
  EXPECT_TRUE(watch.Changed());
  EXPECT_FALSE(watch.Changed());

  results::ResultsWriter writer(path_);  // the way a run writes
  writer.Add(results::RunMetric{run, "output_tokens_per_s", 5, "tokens/s"});
  writer.Flush();
  EXPECT_TRUE(watch.Changed());
  EXPECT_FALSE(watch.Changed());
  writer.Close();
}

TEST_F(ChangeWatchTest, AFileDeletedAndMadeAgain) {
  ChangeWatch watch(path_);
  {
    auto store = results::ResultsStore::OpenForWriting(path_);
    store.BeginRun(Info("a"));
    EXPECT_TRUE(watch.Changed());
    EXPECT_FALSE(watch.Changed());
  }
  // Closing the writer checkpoints into the main file: noticed (a reload too many is cheap).
  watch.Changed();
  EXPECT_FALSE(watch.Changed());

  RemoveDatabase(path_);
  {
    auto store = results::ResultsStore::OpenForWriting(path_);
    store.BeginRun(Info("b"));
    EXPECT_TRUE(watch.Changed()) << "another file under the same name";
    EXPECT_FALSE(watch.Changed());
  }
}

TEST_F(ChangeWatchTest, MissingOrNotADatabaseCountsAsChangedWithoutThrowing) {
  ChangeWatch watch(path_);
  EXPECT_TRUE(watch.Changed());
  EXPECT_TRUE(watch.Changed()) << "still missing: the reload says why";

  std::ofstream(path_) << "not a database, not even close\n";
  EXPECT_TRUE(watch.Changed());
  EXPECT_TRUE(watch.Changed());

  std::filesystem::remove(path_);
  {
    auto store = results::ResultsStore::OpenForWriting(path_);
    store.BeginRun(Info("a"));
    EXPECT_TRUE(watch.Changed()) << "the file appeared";
    EXPECT_FALSE(watch.Changed());
    RemoveDatabase(path_);
    EXPECT_TRUE(watch.Changed()) << "deleted while watched";
  }
}

}  // namespace
}  // namespace infermeter::dashboard
