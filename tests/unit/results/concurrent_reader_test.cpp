// A reader in another process reads while a run writes: the dashboard and `sqlite3` rely on it.

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"
#include "temp_db.h"

namespace infermeter::results {
namespace {

// Runs in the child: polls the request count read-only until it reaches `expected`.
// Exit codes: 0 ok, 1 a read failed, 2 the count went down, 3 never saw a partial count,
// 4 timed out.
int ReaderProcess(const std::string& path, std::int64_t expected) {
  try {
    Database db(path, OpenMode::kReadOnly, /*busy_timeout_ms=*/2000);
    std::int64_t last = 0;
    bool saw_partial = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::int64_t count = db.QueryInt("SELECT count(*) FROM requests");
      if (count < last) return 2;
      if (count > 0 && count < expected) saw_partial = true;
      last = count;
      if (count == expected) return saw_partial ? 0 : 3;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return 4;
  } catch (const std::exception&) {
    return 1;
  }
}

TEST(ConcurrentReader, AnotherProcessReadsWhileARunWrites) {
  testing::TempDir dir;
  const std::string path = dir.File("shared.db");
  RunId run;
  {
    auto store = ResultsStore::OpenForWriting(path);
    run = store.BeginRun({.name = "concurrent"});
  }
  constexpr int kBatches = 40;
  constexpr int kPerBatch = 500;

  const pid_t child = fork();  // before any thread of ours exists
  ASSERT_GE(child, 0);
  if (child == 0) _exit(ReaderProcess(path, kBatches * kPerBatch));

  {
    ResultsWriter writer(path, {.flush_interval_ms = 1});
    for (int b = 0; b < kBatches; ++b) {
      for (int i = 0; i < kPerBatch; ++i) {
        RequestRecord r;
        r.run_id = run;
        r.request_id = b * kPerBatch + i;
        r.input_tokens = 1;
        writer.Add(std::move(r));
      }
      writer.Flush();  // one commit per batch, so the reader sees the count grow
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "reader exit code (1 read failed, 2 count went down, "
                                       "3 no partial count seen, 4 timed out)";
}

}  // namespace
}  // namespace infermeter::results
