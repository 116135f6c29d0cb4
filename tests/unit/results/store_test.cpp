#include "infermeter/results/store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "infermeter/results/writer.h"
#include "temp_db.h"

namespace infermeter::results {
namespace {

RunInfo SampleRunInfo() {
  RunInfo info;
  info.name = "agentic on v4-mini";
  info.engine = "reference";
  info.model = "v4-mini";
  info.hardware_json = R"({"cpu":"test cpu","cores":2})";
  info.workload_name = "agentic";
  info.workload_hash = "sha256:abc";
  info.config_json = R"({"rate":2.5})";
  info.labels = {{"gpu", "none"}, {"team", "perf"}};
  info.clock_origin = {1'700'000'000'000'000'000, 42};
  return info;
}

TEST(Store, RunLifecycleRoundTrips) {
  testing::TempDir dir;
  auto store = ResultsStore::OpenForWriting(dir.File("r.db"));
  const RunInfo info = SampleRunInfo();
  const RunId id = store.BeginRun(info);

  auto running = store.GetRun(id);
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(running->status, RunStatus::kRunning);
  EXPECT_FALSE(running->finished_unix_ns.has_value());
  EXPECT_EQ(running->info.name, info.name);
  EXPECT_EQ(running->info.labels, info.labels);
  EXPECT_EQ(running->info.hardware_json, info.hardware_json);
  EXPECT_EQ(running->info.clock_origin.wall_unix_ns, info.clock_origin.wall_unix_ns);
  EXPECT_EQ(running->info.clock_origin.monotonic_ns, 42);
  EXPECT_FALSE(running->infermeter_version.empty());

  store.FinishRun(id, RunStatus::kInterrupted, 123);
  auto finished = store.GetRun(id);
  EXPECT_EQ(finished->status, RunStatus::kInterrupted);
  EXPECT_EQ(finished->finished_unix_ns, 123);
  EXPECT_THROW(store.FinishRun(RunId(999), RunStatus::kCompleted, 1), Error);
  EXPECT_EQ(store.ListRuns().size(), 1u);
}

TEST(Store, RejectsConfigThatIsNotJson) {
  testing::TempDir dir;
  auto store = ResultsStore::OpenForWriting(dir.File("r.db"));
  RunInfo info = SampleRunInfo();
  info.config_json = "{not json";
  EXPECT_THROW(store.BeginRun(info), SqliteError);
  EXPECT_TRUE(store.ListRuns().empty());
}

TEST(Store, RequestsWithChunksRoundTripThroughTheFile) {
  testing::TempDir dir;
  const std::string path = dir.File("r.db");
  RunId run;
  std::vector<RequestRecord> written;
  {
    auto store = ResultsStore::OpenForWriting(path);
    run = store.BeginRun(SampleRunInfo());
    ResultsWriter writer(path);
    for (int i = 0; i < 50; ++i) {
      RequestRecord r;
      r.run_id = run;
      r.request_id = i;
      if (i % 2) r.session_id = "session-" + std::to_string(i / 10);
      if (i % 2) r.turn_index = i % 10;
      r.scheduled_ns = 1'000'000 * i;
      r.sent_ns = r.scheduled_ns + 1500;
      r.input_tokens = 100 + i;
      r.cached_tokens = i;
      r.requested_output_tokens = i;
      std::int64_t t = *r.sent_ns;
      for (int c = 0; c < i; ++c) {
        t += 20'000'000 + c * 17;
        r.chunks.push_back({t, 1 + c % 3});
        r.output_tokens += 1 + c % 3;
      }
      if (!r.chunks.empty()) {
        r.first_token_ns = r.chunks.front().time_ns;
        r.last_token_ns = r.chunks.back().time_ns;
      }
      r.done_ns = t + 10;
      r.finish_reason = i % 7 == 0 ? "" : "length";
      r.status = i % 11 == 0 ? RequestStatus::kError : RequestStatus::kOk;
      if (r.status == RequestStatus::kError) {
        r.error_class = "http_500";
        r.error_message = "server error";
      }
      written.push_back(r);
      writer.Add(std::move(r));
    }
    writer.Add(SampleRecord{run, 5, "engine", "kv_bytes_used", R"({"layer_kind":"csa"})", 4096});
    writer.Add(RunMetric{run, "output_tokens_per_s", 12.5, "tokens/s"});
    writer.Add(RunMetric{run, "output_tokens_per_s", 13.5, "tokens/s"});  // replaces
    writer.Close();
    store.FinishRun(run, RunStatus::kCompleted, WallNs());
  }
  auto reader = ResultsStore::OpenForReading(path);
  EXPECT_EQ(reader.LoadRequests(run), written);
  EXPECT_EQ(reader.LoadSamples(run),
            (std::vector<SampleRecord>{
                {run, 5, "engine", "kv_bytes_used", R"({"layer_kind":"csa"})", 4096}}));
  EXPECT_EQ(reader.LoadRunMetrics(run),
            (std::vector<RunMetric>{{run, "output_tokens_per_s", 13.5, "tokens/s"}}));
  const StoreCheck check = reader.Check();
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.journal_mode, "wal");
  EXPECT_EQ(check.requests, 50);
  EXPECT_EQ(check.request_chunks, 49);  // request 0 streamed no chunk
}

TEST(Store, ReadingAMissingFileSaysHowToPointAtOne) {
  testing::TempDir dir;
  try {
    ResultsStore::OpenForReading(dir.File("nothing.db"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--db FILE or set INFERMETER_DB"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.File("nothing.db")));  // reading never creates
}

TEST(Store, ReadingADirectorySaysSo) {
  testing::TempDir dir;
  try {
    ResultsStore::OpenForReading(dir.path().string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

TEST(Store, CheckFindsDamageInsideAValidFile) {
  testing::TempDir dir;
  const std::string path = dir.File("damaged.db");
  std::int64_t page_bytes = 0;
  {
    auto store = ResultsStore::OpenForWriting(path);
    const RunId run = store.BeginRun(SampleRunInfo());
    ResultsWriter writer(path);
    for (int i = 0; i < 40000; ++i) {
      RequestRecord r;
      r.run_id = run;
      r.request_id = i;
      r.input_tokens = i;
      writer.Add(std::move(r));
    }
    writer.Close();
    store.database().Execute("PRAGMA wal_checkpoint(TRUNCATE)");
    page_bytes = store.database().QueryInt("PRAGMA page_size");
  }
  // Scribble over the middle of the file, leaving the header intact.
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(0, std::ios::end);
    const auto size = static_cast<std::int64_t>(file.tellp());
    ASSERT_GT(size, 8 * page_bytes);
    // Three whole pages from the middle of the file: some b-tree page is hit whatever the layout.
    file.seekp(size / 2 / page_bytes * page_bytes);
    for (std::int64_t i = 0; i < 3 * page_bytes; ++i) file.put(static_cast<char>(0xA5));
  }
  try {
    auto store = ResultsStore::OpenForReading(path);
    const StoreCheck check = store.Check();
    EXPECT_FALSE(check.ok());
    EXPECT_FALSE(check.integrity_problems.empty());
  } catch (const SqliteError& e) {
    // SQLite may also refuse to read the damaged page outright; the message must say so.
    EXPECT_NE(std::string(e.what()).find("malformed"), std::string::npos) << e.what();
  }
}

HardwarePeak SamplePeak(std::string host, std::string metric, std::string dtype, double value,
                        std::int64_t measured_unix_ns) {
  return {.measured_unix_ns = measured_unix_ns,
          .host = std::move(host),
          .cpu_model = "test cpu",
          .logical_cores = 2,
          .metric = std::move(metric),
          .dtype = std::move(dtype),
          .value = value,
          .method = "test method",
          .details_json = R"({"sizes":[512]})"};
}

TEST(Store, HardwarePeaksRoundTripKeepingTheLatestPerMetric) {
  testing::TempDir dir;
  const std::string path = dir.File("peaks.db");
  {
    auto store = ResultsStore::OpenForWriting(path);
    store.RecordHardwarePeak(SamplePeak("a", "gemm_flops_per_s", "fp32", 1e9, 100));
    store.RecordHardwarePeak(SamplePeak("a", "gemm_flops_per_s", "fp32", 2e9, 200));
    store.RecordHardwarePeak(SamplePeak("a", "gemm_flops_per_s", "bf16", 3e9, 100));
    store.RecordHardwarePeak(SamplePeak("a", "memory_bandwidth_bytes_per_s", "", 4e9, 100));
    store.RecordHardwarePeak(SamplePeak("b", "gemm_flops_per_s", "fp32", 5e9, 50));
  }
  auto store = ResultsStore::OpenForReading(path);
  const auto peaks = store.LoadHardwarePeaks();
  ASSERT_EQ(peaks.size(), 4u);
  HardwarePeak expected = SamplePeak("a", "gemm_flops_per_s", "bf16", 3e9, 100);
  expected.id = 3;
  EXPECT_EQ(peaks[0], expected);
  EXPECT_EQ(peaks[1].dtype, "fp32");
  EXPECT_EQ(peaks[1].value, 2e9);  // the later of the two fp32 figures
  EXPECT_EQ(peaks[2].metric, "memory_bandwidth_bytes_per_s");
  EXPECT_EQ(peaks[3].host, "b");
  EXPECT_EQ(store.Check().hardware_peaks, 5);
}

TEST(Store, AFullProbeOutranksALaterQuickOne) {
  testing::TempDir dir;
  auto store = ResultsStore::OpenForWriting(dir.File("peaks.db"));
  store.RecordHardwarePeak(SamplePeak("a", "gemm_flops_per_s", "fp32", 2e11, 100));
  HardwarePeak quick = SamplePeak("a", "gemm_flops_per_s", "fp32", 1e11, 200);
  quick.details_json = R"({"quick":true})";
  store.RecordHardwarePeak(quick);
  const auto peaks = store.LoadHardwarePeaks();
  ASSERT_EQ(peaks.size(), 1u);
  EXPECT_EQ(peaks[0].value, 2e11);
}

TEST(Store, RejectsAnUnknownHardwareMetric) {
  testing::TempDir dir;
  auto store = ResultsStore::OpenForWriting(dir.File("peaks.db"));
  EXPECT_THROW(store.RecordHardwarePeak(SamplePeak("a", "bogus", "", 1, 1)), SqliteError);
}

}  // namespace
}  // namespace infermeter::results
