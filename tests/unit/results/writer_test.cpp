#include "infermeter/results/writer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "infermeter/results/store.h"
#include "temp_db.h"

namespace infermeter::results {
namespace {

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("w.db");
    auto store = ResultsStore::OpenForWriting(path_);
    run_ = store.BeginRun({.name = "writer test"});
  }

  RequestRecord Request(std::int64_t id) const {
    RequestRecord r;
    r.run_id = run_;
    r.request_id = id;
    r.scheduled_ns = id * 1000;
    r.sent_ns = r.scheduled_ns;
    r.input_tokens = 10;
    r.output_tokens = 2;
    r.chunks = {{r.scheduled_ns + 5, 1}, {r.scheduled_ns + 9, 1}};
    return r;
  }

  std::int64_t CountRequests() {
    Database reader(path_, OpenMode::kReadOnly);
    return reader.QueryInt("SELECT count(*) FROM requests");
  }

  testing::TempDir dir_;
  std::string path_;
  RunId run_;
};

TEST_F(WriterTest, ManyThreadsAddAndEverythingIsWrittenOnce) {
  ResultsWriter writer(path_, {.flush_interval_ms = 5, .batch_rows = 64});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) writer.Add(Request(t * 1000 + i));
    });
  }
  for (auto& thread : threads) thread.join();
  writer.Flush();
  EXPECT_EQ(CountRequests(), 4000);
  const WriterStats stats = writer.Stats();
  EXPECT_EQ(stats.requests_written, 4000);
  EXPECT_EQ(stats.rows_rejected, 0);
  // Batched: far fewer transactions than rows.
  EXPECT_LT(stats.transactions, 4000);
}

TEST_F(WriterTest, CommitsWithoutBeingAskedWithinTheFlushInterval) {
  ResultsWriter writer(path_, {.flush_interval_ms = 1000});
  writer.Add(Request(1));
  // The writer must commit on its own at least once a second; poll from another connection
  // with a generous deadline (this checks the behaviour, not its speed).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (CountRequests() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(CountRequests(), 1);
}

TEST_F(WriterTest, ADuplicateRowIsRejectedAndTheRestOfItsBatchKept) {
  ResultsWriter writer(path_);
  writer.Add(Request(1));
  writer.Add(Request(1));  // same request id: violates the primary key
  writer.Add(Request(2));
  writer.Flush();
  EXPECT_EQ(CountRequests(), 2);
  const WriterStats stats = writer.Stats();
  EXPECT_EQ(stats.rows_rejected, 1);
  EXPECT_NE(stats.last_error.find("UNIQUE constraint failed"), std::string::npos)
      << stats.last_error;
}

TEST_F(WriterTest, NegativeTokenCountsAreRefusedAtAdd) {
  ResultsWriter writer(path_);
  RequestRecord bad = Request(1);
  bad.output_tokens = -1;
  EXPECT_THROW(writer.Add(bad), Error);
  bad = Request(1);
  bad.cached_tokens = bad.input_tokens + 1;
  EXPECT_THROW(writer.Add(bad), Error);
}

TEST_F(WriterTest, RowsOfAnUnknownRunAreRejected) {
  ResultsWriter writer(path_);
  RequestRecord orphan = Request(1);
  orphan.run_id = RunId(run_.value + 100);
  writer.Add(orphan);
  writer.Add(SampleRecord{orphan.run_id, 1, "engine", "x", "{}", 1.0});
  writer.Add(Request(2));
  writer.Flush();
  EXPECT_EQ(CountRequests(), 1);
  const WriterStats stats = writer.Stats();
  EXPECT_EQ(stats.rows_rejected, 2);
  EXPECT_NE(stats.last_error.find("no run with id"), std::string::npos) << stats.last_error;
}

TEST_F(WriterTest, ChunkTimesGoingBackwardsAreRefusedAtAdd) {
  ResultsWriter writer(path_);
  RequestRecord bad = Request(1);
  bad.chunks = {{bad.scheduled_ns + 10, 1}, {bad.scheduled_ns + 5, 1}};
  EXPECT_THROW(writer.Add(bad), Error);
  writer.Add(Request(2));
  writer.Flush();
  EXPECT_EQ(CountRequests(), 1);
}

TEST_F(WriterTest, ALockedDatabaseLosesNothing) {
  ResultsWriter writer(path_, {.flush_interval_ms = 10, .busy_timeout_ms = 50});
  Database blocker(path_, OpenMode::kReadWrite);
  blocker.Execute("BEGIN IMMEDIATE");  // holds the write lock
  for (int i = 0; i < 100; ++i) writer.Add(Request(i));
  try {
    writer.Flush();
    FAIL() << "expected the flush to report the lock";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("locked"), std::string::npos) << e.what();
  }
  for (int i = 100; i < 150; ++i) writer.Add(Request(i));  // keeps accepting meanwhile
  blocker.Execute("COMMIT");
  writer.Flush();
  EXPECT_EQ(CountRequests(), 150);
  EXPECT_GE(writer.Stats().failed_transactions, 1);
}

// Another connection committing between two batches (a second run begun, a run renamed in the
// dashboard) must not leave the writer on a stale snapshot, failing every batch after it.
TEST_F(WriterTest, CommitsByAnotherConnectionBetweenBatches) {
  ResultsWriter writer(path_, {.flush_interval_ms = 10, .busy_timeout_ms = 200});
  writer.Add(Request(1));
  writer.Flush();
  auto store = ResultsStore::OpenForWriting(path_);
  const RunId second = store.BeginRun({.name = "second"});
  writer.Add(Request(2));
  writer.Add(RunMetric{second, "output_tokens_per_s", 1, "tokens/s"});
  writer.Flush();
  store.RenameRun(run_, "renamed");
  writer.Add(Request(3));
  writer.Flush();
  EXPECT_EQ(CountRequests(), 3);
  EXPECT_EQ(writer.Stats().failed_transactions, 0);
}

TEST_F(WriterTest, AddAfterCloseThrows) {
  ResultsWriter writer(path_);
  writer.Add(Request(1));
  writer.Close();
  EXPECT_EQ(CountRequests(), 1);
  EXPECT_THROW(writer.Add(Request(2)), Error);
}

TEST_F(WriterTest, ReleaseAndEngineQueueTimesAreWrittenAndReadBack) {
  ResultsWriter writer(path_);
  RequestRecord held = Request(1);
  held.released_ns = held.scheduled_ns + 300;  // a concurrency cap held it back
  held.sent_ns = *held.released_ns + 20;
  held.chunks = {{*held.sent_ns + 5, 1}, {*held.sent_ns + 9, 1}};
  held.engine_queue_ns = 1'234'567;
  RequestRecord plain = Request(2);  // neither figure known
  writer.Add(held);
  writer.Add(plain);
  writer.Flush();
  {
    Database reader(path_, OpenMode::kReadOnly);
    Statement s(reader,
                "SELECT request_id, released_ns, engine_queue_ns FROM requests ORDER BY "
                "request_id");
    ASSERT_TRUE(s.Step());
    EXPECT_EQ(s.ColumnInt(1), held.scheduled_ns + 300);
    EXPECT_EQ(s.ColumnInt(2), 1'234'567);
    ASSERT_TRUE(s.Step());
    EXPECT_TRUE(s.IsNull(1));
    EXPECT_TRUE(s.IsNull(2));
    EXPECT_FALSE(s.Step());
  }
  auto store = ResultsStore::OpenForReading(path_);
  EXPECT_EQ(store.LoadRequests(run_), (std::vector<RequestRecord>{held, plain}));
}

TEST_F(WriterTest, HttpPhasesAndReasoningAreWrittenToTheirColumns) {
  ResultsWriter writer(path_);
  RequestRecord http = Request(1);
  http.connected_ns = *http.sent_ns + 1;
  http.first_byte_ns = *http.sent_ns + 2;
  http.first_visible_token_ns = *http.sent_ns + 3;
  http.reasoning_tokens = 4;
  writer.Add(http);
  writer.Add(Request(2));  // none of them known
  writer.Flush();
  Database reader(path_, OpenMode::kReadOnly);
  Statement s(reader,
              "SELECT connected_ns - sent_ns, first_byte_ns - sent_ns, "
              "first_visible_token_ns - sent_ns, reasoning_tokens FROM requests "
              "ORDER BY request_id");
  ASSERT_TRUE(s.Step());
  for (int column = 0; column < 4; ++column) EXPECT_EQ(s.ColumnInt(column), column + 1);
  ASSERT_TRUE(s.Step());
  for (int column = 0; column < 4; ++column) EXPECT_TRUE(s.IsNull(column)) << column;
  EXPECT_FALSE(s.Step());
}

TEST_F(WriterTest, OpeningAMissingFileFailsInTheCallersThread) {
  EXPECT_THROW(ResultsWriter(dir_.File("not-there.db")), Error);
}

}  // namespace
}  // namespace infermeter::results
