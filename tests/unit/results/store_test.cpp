#include "infermeter/results/store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "infermeter/results/schema.h"
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

// ---- Schema version 3: validity, groups, release and queue times ----

TEST(Store, ForeignKeysAreOnForTheStoresConnections) {
  testing::TempDir dir;
  const std::string path = dir.File("r.db");
  auto writer = ResultsStore::OpenForWriting(path);
  EXPECT_EQ(writer.database().QueryInt("PRAGMA foreign_keys"), 1);
  auto reader = ResultsStore::OpenForReading(path);
  EXPECT_EQ(reader.database().QueryInt("PRAGMA foreign_keys"), 1);
}

TEST(Store, ANewRunHasNoVerdictYet) {
  testing::TempDir dir;
  auto store = ResultsStore::OpenForWriting(dir.File("r.db"));
  const RunId id = store.BeginRun(SampleRunInfo());
  const auto run = store.GetRun(id);
  ASSERT_TRUE(run.has_value());
  EXPECT_FALSE(run->validity.has_value());
  EXPECT_TRUE(run->validity_reasons.empty());
  EXPECT_EQ(store.database().QueryText("SELECT validity_reasons FROM runs"), "[]");
  EXPECT_EQ(store.database().QueryInt("SELECT validity IS NULL FROM runs"), 1);
}

TEST(Store, AValidVerdictWithoutReasonsRoundTrips) {
  testing::TempDir dir;
  const std::string path = dir.File("r.db");
  RunId id;
  {
    auto store = ResultsStore::OpenForWriting(path);
    id = store.BeginRun(SampleRunInfo());
    store.FinishRun(id, RunStatus::kCompleted, 5);
    store.SetRunValidity(id, Validity::kValid, {});
  }
  auto reader = ResultsStore::OpenForReading(path);
  const auto run = reader.GetRun(id);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->validity, Validity::kValid);
  EXPECT_TRUE(run->validity_reasons.empty());
  EXPECT_EQ(reader.database().QueryText("SELECT validity FROM runs"), "valid");
  EXPECT_EQ(reader.database().QueryText("SELECT validity_reasons FROM runs"), "[]");
}

TEST(Store, AnInvalidVerdictKeepsEveryReasonExactly) {
  testing::TempDir dir;
  const std::string path = dir.File("r.db");
  const std::vector<std::string> reasons = {
      "p99 schedule lag 12.3 ms > 5 ms: the client could not keep up",
      R"(engine said "overloaded" \ twice)",
      "τ-bench turn ‘3’ — 日本語 ✓ 🚀",
      "line one\nline two\ttab",
      "",
      R"(["not", "an", "array"])",
  };
  RunId invalid;
  RunId other;
  {
    auto store = ResultsStore::OpenForWriting(path);
    invalid = store.BeginRun(SampleRunInfo());
    other = store.BeginRun(SampleRunInfo());
    store.SetRunValidity(invalid, Validity::kInvalid, reasons);
    store.SetRunValidity(other, Validity::kValid, {});
  }
  auto reader = ResultsStore::OpenForReading(path);
  const auto run = reader.GetRun(invalid);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->validity, Validity::kInvalid);
  EXPECT_EQ(run->validity_reasons, reasons);
  // Stored as a JSON array of strings that any SQLite reader can take apart.
  Statement s(reader.database(),
              "SELECT json_array_length(validity_reasons), validity_reasons ->> '$[2]' "
              "FROM runs WHERE id = ?");
  s.Bind(1, invalid.value);
  ASSERT_TRUE(s.Step());
  EXPECT_EQ(s.ColumnInt(0), static_cast<std::int64_t>(reasons.size()));
  EXPECT_EQ(s.ColumnText(1), reasons[2]);
  // ListRuns reads the same, and one run's verdict leaves the other's alone.
  const auto runs = reader.ListRuns();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].validity_reasons, reasons);
  EXPECT_EQ(runs[1].validity, Validity::kValid);
  EXPECT_TRUE(runs[1].validity_reasons.empty());
}

TEST(Store, ASecondVerdictReplacesTheFirst) {
  testing::TempDir dir;
  auto store = ResultsStore::OpenForWriting(dir.File("r.db"));
  const RunId id = store.BeginRun(SampleRunInfo());
  store.SetRunValidity(id, Validity::kInvalid, {"a", "b"});
  store.SetRunValidity(id, Validity::kValid, {});
  const auto run = store.GetRun(id);
  EXPECT_EQ(run->validity, Validity::kValid);
  EXPECT_TRUE(run->validity_reasons.empty());
}

TEST(Store, SettingTheVerdictOfAMissingRunThrowsNamingIt) {
  testing::TempDir dir;
  auto store = ResultsStore::OpenForWriting(dir.File("r.db"));
  try {
    store.SetRunValidity(RunId(4242), Validity::kValid, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("4242"), std::string::npos) << e.what();
  }
}

TEST(Store, GroupsRoundTrip) {
  testing::TempDir dir;
  const std::string path = dir.File("r.db");
  const std::int64_t before = WallNs();
  std::int64_t sweep_id = 0;
  std::int64_t search_id = 0;
  {
    auto store = ResultsStore::OpenForWriting(path);
    EXPECT_TRUE(store.ListGroups().empty());
    sweep_id = store.BeginGroup({.kind = RunGroupKind::kSweep,
                                 .name = "sweep rate=1,2: agentic",
                                 .config_json = R"({"sweep":"rate=1,2"})"});
    search_id = store.BeginGroup(
        {.kind = RunGroupKind::kGoodputSearch, .name = "max goodput: «agentic» \"quoted\""});
    store.BeginGroup({.kind = RunGroupKind::kSuite, .name = "default suite"});
    store.BeginGroup({.kind = RunGroupKind::kRepeat, .name = "repeat x3"});
    EXPECT_NE(sweep_id, search_id);
    store.SetGroupResult(search_id, R"({"max_rate_per_s":4.5,"points":[]})");
    store.SetGroupResult(search_id, R"({"max_rate_per_s":5.5,"points":[]})");  // replaces
  }
  const std::int64_t after = WallNs();
  auto reader = ResultsStore::OpenForReading(path);
  const auto groups = reader.ListGroups();
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0].id, sweep_id);
  EXPECT_EQ(groups[0].kind, RunGroupKind::kSweep);
  EXPECT_EQ(groups[0].name, "sweep rate=1,2: agentic");
  EXPECT_EQ(groups[0].config_json, R"({"sweep":"rate=1,2"})");
  EXPECT_EQ(groups[0].result_json, "{}");
  EXPECT_GE(groups[0].created_unix_ns, before);
  EXPECT_LE(groups[0].created_unix_ns, after);
  EXPECT_EQ(groups[1].id, search_id);
  EXPECT_EQ(groups[1].kind, RunGroupKind::kGoodputSearch);
  EXPECT_EQ(groups[1].name, "max goodput: «agentic» \"quoted\"");
  EXPECT_EQ(groups[1].config_json, "{}");
  EXPECT_EQ(groups[1].result_json, R"({"max_rate_per_s":5.5,"points":[]})");
  EXPECT_EQ(groups[2].kind, RunGroupKind::kSuite);
  EXPECT_EQ(groups[3].kind, RunGroupKind::kRepeat);
  EXPECT_EQ(reader.database().QueryText("SELECT group_concat(kind, ',') FROM run_groups"),
            "sweep,goodput_search,suite,repeat");
  EXPECT_EQ(reader.Check().run_groups, 4);
}

TEST(Store, SettingTheResultOfAMissingGroupThrowsNamingIt) {
  testing::TempDir dir;
  auto store = ResultsStore::OpenForWriting(dir.File("r.db"));
  const std::int64_t id = store.BeginGroup({.kind = RunGroupKind::kSweep, .name = "s"});
  try {
    store.SetGroupResult(id + 977, "{}");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(id + 977)), std::string::npos) << e.what();
  }
  EXPECT_EQ(store.ListGroups().at(0).result_json, "{}");  // the real group untouched
}

TEST(Store, GroupJsonMustBeJson) {
  testing::TempDir dir;
  auto store = ResultsStore::OpenForWriting(dir.File("r.db"));
  EXPECT_THROW(store.BeginGroup({.kind = RunGroupKind::kSweep, .name = "s", .config_json = "{x"}),
               SqliteError);
  const std::int64_t id = store.BeginGroup({.kind = RunGroupKind::kSweep, .name = "s"});
  EXPECT_THROW(store.SetGroupResult(id, "not json"), SqliteError);
  EXPECT_EQ(store.ListGroups().size(), 1u);
  EXPECT_EQ(store.ListGroups()[0].result_json, "{}");
}

TEST(Store, RunsKeepTheirGroupAndPoint) {
  testing::TempDir dir;
  const std::string path = dir.File("r.db");
  RunId grouped;
  RunId lone;
  std::int64_t group = 0;
  {
    auto store = ResultsStore::OpenForWriting(path);
    group = store.BeginGroup({.kind = RunGroupKind::kSweep, .name = "sweep"});
    RunInfo info = SampleRunInfo();
    info.group_id = group;
    info.group_point = "rate=4";
    grouped = store.BeginRun(info);
    lone = store.BeginRun(SampleRunInfo());
  }
  auto reader = ResultsStore::OpenForReading(path);
  const auto a = reader.GetRun(grouped);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->info.group_id, group);
  EXPECT_EQ(a->info.group_point, "rate=4");
  const auto b = reader.GetRun(lone);
  ASSERT_TRUE(b.has_value());
  EXPECT_FALSE(b->info.group_id.has_value());
  EXPECT_EQ(b->info.group_point, "");
  // No group, no point: both columns NULL rather than 0 and ''.
  Statement s(reader.database(),
              "SELECT group_id IS NULL, group_point IS NULL FROM runs WHERE id = ?");
  s.Bind(1, lone.value);
  ASSERT_TRUE(s.Step());
  EXPECT_EQ(s.ColumnInt(0), 1);
  EXPECT_EQ(s.ColumnInt(1), 1);
  const auto runs = reader.ListRuns();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].info.group_id, group);
  EXPECT_EQ(runs[0].info.group_point, "rate=4");
}

TEST(Store, ARunCannotJoinAGroupThatDoesNotExist) {
  testing::TempDir dir;
  auto store = ResultsStore::OpenForWriting(dir.File("r.db"));
  RunInfo info = SampleRunInfo();
  info.group_id = 12345;
  EXPECT_THROW(store.BeginRun(info), SqliteError);
  EXPECT_TRUE(store.ListRuns().empty());
}

TEST(Store, DeletingARunKeepsItsGroup) {
  testing::TempDir dir;
  auto store = ResultsStore::OpenForWriting(dir.File("r.db"));
  const std::int64_t group = store.BeginGroup({.kind = RunGroupKind::kSweep, .name = "sweep"});
  RunInfo info = SampleRunInfo();
  info.group_id = group;
  info.group_point = "rate=1";
  const RunId first = store.BeginRun(info);
  info.group_point = "rate=2";
  const RunId second = store.BeginRun(info);
  Statement del(store.database(), "DELETE FROM runs WHERE id = ?");
  del.Bind(1, first.value);
  del.Run();
  EXPECT_EQ(store.ListGroups().size(), 1u);
  const auto remaining = store.ListRuns();
  ASSERT_EQ(remaining.size(), 1u);
  EXPECT_EQ(remaining[0].id, second);
  EXPECT_EQ(remaining[0].info.group_id, group);
}

TEST(Store, DeletingAGroupLeavesItsRunsWithoutOne) {
  testing::TempDir dir;
  const std::string path = dir.File("r.db");
  auto store = ResultsStore::OpenForWriting(path);
  const std::int64_t group = store.BeginGroup({.kind = RunGroupKind::kSuite, .name = "suite"});
  const std::int64_t other = store.BeginGroup({.kind = RunGroupKind::kSuite, .name = "other"});
  RunInfo info = SampleRunInfo();
  info.group_id = group;
  info.group_point = "agentic";
  const RunId run = store.BeginRun(info);
  info.group_id = other;
  const RunId kept = store.BeginRun(info);
  {
    ResultsWriter writer(path);
    RequestRecord r;
    r.run_id = run;
    r.request_id = 1;
    writer.Add(std::move(r));
    writer.Close();
  }
  Statement del(store.database(), "DELETE FROM run_groups WHERE id = ?");
  del.Bind(1, group);
  del.Run();
  const auto row = store.GetRun(run);
  ASSERT_TRUE(row.has_value());  // the run and its requests stay
  EXPECT_FALSE(row->info.group_id.has_value());
  EXPECT_EQ(row->request_count, 1);
  EXPECT_EQ(store.LoadRequests(run).size(), 1u);
  EXPECT_EQ(store.GetRun(kept)->info.group_id, other);
  EXPECT_TRUE(store.Check().ok());
  EXPECT_EQ(store.Check().run_groups, 1);
}

TEST(Store, ReleaseAndEngineQueueTimesRoundTripSetAndUnset) {
  testing::TempDir dir;
  const std::string path = dir.File("r.db");
  RunId run;
  std::vector<RequestRecord> written;
  {
    auto store = ResultsStore::OpenForWriting(path);
    run = store.BeginRun(SampleRunInfo());
    ResultsWriter writer(path);
    for (int i = 0; i < 4; ++i) {
      RequestRecord r;
      r.run_id = run;
      r.request_id = i;
      r.scheduled_ns = 1'000 * i;
      r.sent_ns = r.scheduled_ns + 700;
      r.input_tokens = 3;
      if (i % 2 == 0) r.released_ns = r.scheduled_ns + 500;  // held back by a concurrency cap
      if (i < 2) r.engine_queue_ns = 2'500'000 + i;
      r.chunks = {{*r.sent_ns + 10, 1}};
      r.output_tokens = 1;
      r.first_token_ns = r.last_token_ns = r.done_ns = *r.sent_ns + 10;
      written.push_back(r);
      writer.Add(std::move(r));
    }
    // Zero and a negative (clock-skewed engine) queue time are stored as given, not as NULL.
    RequestRecord zero;
    zero.run_id = run;
    zero.request_id = 10;
    zero.released_ns = 0;
    zero.engine_queue_ns = 0;
    written.push_back(zero);
    writer.Add(zero);
    RequestRecord negative = zero;
    negative.request_id = 11;
    negative.released_ns = -5;
    negative.engine_queue_ns = -7;
    written.push_back(negative);
    writer.Add(negative);
    writer.Close();
  }
  auto reader = ResultsStore::OpenForReading(path);
  const auto loaded = reader.LoadRequests(run);
  EXPECT_EQ(loaded, written);
  ASSERT_EQ(loaded.size(), 6u);
  EXPECT_EQ(loaded[0].released_ns, 500);
  EXPECT_EQ(loaded[0].engine_queue_ns, 2'500'000);
  EXPECT_FALSE(loaded[1].released_ns.has_value());
  EXPECT_EQ(loaded[1].engine_queue_ns, 2'500'001);
  EXPECT_EQ(loaded[2].released_ns, 2'500);
  EXPECT_FALSE(loaded[2].engine_queue_ns.has_value());
  EXPECT_FALSE(loaded[3].released_ns.has_value());
  EXPECT_FALSE(loaded[3].engine_queue_ns.has_value());
  EXPECT_EQ(loaded[4].released_ns, 0);
  EXPECT_EQ(loaded[4].engine_queue_ns, 0);
  EXPECT_EQ(loaded[5].engine_queue_ns, -7);
  // Unset is NULL in the file.
  EXPECT_EQ(reader.database().QueryInt("SELECT count(*) FROM requests WHERE released_ns IS NULL"),
            2);
  EXPECT_EQ(
      reader.database().QueryInt("SELECT count(*) FROM requests WHERE engine_queue_ns IS NULL"), 2);
}

TEST(Store, HttpPhasesFirstVisibleTokenAndReasoningTokensRoundTripSetAndUnset) {
  testing::TempDir dir;
  const std::string path = dir.File("r.db");
  RunId run;
  std::vector<RequestRecord> written;
  {
    auto store = ResultsStore::OpenForWriting(path);
    run = store.BeginRun(SampleRunInfo());
    ResultsWriter writer(path);
    // An HTTP request whose answer began with 3 reasoning tokens, then 2 visible ones.
    RequestRecord http;
    http.run_id = run;
    http.request_id = 1;
    http.scheduled_ns = 1'000;
    http.sent_ns = 1'100;
    http.connected_ns = 1'150;
    http.first_byte_ns = 1'400;
    http.chunks = {{1'500, 3}, {1'900, 2}};
    http.first_token_ns = 1'500;
    http.first_visible_token_ns = 1'900;
    http.last_token_ns = http.done_ns = 1'900;
    http.input_tokens = 4;
    http.output_tokens = 5;
    http.reasoning_tokens = 3;
    written.push_back(http);
    writer.Add(http);
    // The reference engine: no HTTP phases, no reasoning count; the first token is visible.
    RequestRecord local = http;
    local.request_id = 2;
    local.connected_ns.reset();
    local.first_byte_ns.reset();
    local.reasoning_tokens.reset();
    local.first_visible_token_ns = local.first_token_ns;
    written.push_back(local);
    writer.Add(local);
    // A count of 0 is a fact (the server said so), not NULL.
    RequestRecord zero = local;
    zero.request_id = 3;
    zero.reasoning_tokens = 0;
    written.push_back(zero);
    writer.Add(zero);
    writer.Close();
  }
  auto reader = ResultsStore::OpenForReading(path);
  const auto loaded = reader.LoadRequests(run);
  EXPECT_EQ(loaded, written);
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded[0].connected_ns, 1'150);
  EXPECT_EQ(loaded[0].first_byte_ns, 1'400);
  EXPECT_EQ(loaded[0].first_visible_token_ns, 1'900);
  EXPECT_EQ(loaded[0].reasoning_tokens, 3);
  EXPECT_FALSE(loaded[1].connected_ns.has_value());
  EXPECT_FALSE(loaded[1].first_byte_ns.has_value());
  EXPECT_FALSE(loaded[1].reasoning_tokens.has_value());
  EXPECT_EQ(loaded[2].reasoning_tokens, 0);
  // Unset is NULL in the file.
  Database& db = reader.database();
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM requests WHERE connected_ns IS NULL"), 2);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM requests WHERE first_byte_ns IS NULL"), 2);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM requests WHERE first_visible_token_ns IS NULL"), 0);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM requests WHERE reasoning_tokens IS NULL"), 1);
}

TEST(Store, CheckCountsRunGroups) {
  testing::TempDir dir;
  const std::string path = dir.File("r.db");
  {
    auto store = ResultsStore::OpenForWriting(path);
    EXPECT_EQ(store.Check().run_groups, 0);
    store.BeginGroup({.kind = RunGroupKind::kSweep, .name = "a"});
    store.BeginGroup({.kind = RunGroupKind::kGoodputSearch, .name = "b"});
    store.BeginGroup({.kind = RunGroupKind::kSuite, .name = "c"});
  }
  const StoreCheck check = ResultsStore::OpenForReading(path).Check();
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.schema_version, CurrentSchemaVersion());
  EXPECT_EQ(check.run_groups, 3);
  EXPECT_EQ(check.runs, 0);
}

}  // namespace
}  // namespace infermeter::results

namespace infermeter::results {
namespace {

TEST(StoreUtf8Test, InvalidUtf8InReasonsAndLabelsIsReplacedNotThrown) {
  testing::TempDir dir;
  auto store = ResultsStore::OpenForWriting(dir.File("utf8.db"));
  RunInfo info;
  info.name = "utf8";
  info.labels = {{"host", "bad \xff byte"}};
  const RunId run = store.BeginRun(info);
  store.SetRunValidity(run, Validity::kInvalid, {"bad \xff byte"});
  const auto row = store.GetRun(run);
  ASSERT_TRUE(row);
  ASSERT_EQ(row->validity_reasons.size(), 1u);
  EXPECT_EQ(row->validity_reasons[0], "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(row->info.labels.at("host"), "bad \xEF\xBF\xBD byte");
}

}  // namespace
}  // namespace infermeter::results
