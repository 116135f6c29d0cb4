// `infermeter exporter --db` on a real results file: finished runs only, their figures equal to
// run_metrics in base units, re-read when the file changes, the last figures kept when it breaks.

#include "infermeter/exporter/stored_runs_collectable.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "infermeter/results/store.h"
#include "temp_db.h"

namespace infermeter::exporter {
namespace {

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& families,
                                     const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

std::string Label(const prometheus::ClientMetric& metric, const std::string& name) {
  for (const auto& label : metric.label) {
    if (label.name == name) return label.value;
  }
  return "(none)";
}

RunId AddRun(results::ResultsStore& store, const std::string& gpu, double ttft_p99_ms,
             bool finish) {
  results::RunInfo info;
  info.name = "run on " + gpu;
  info.engine = "openai";
  info.model = "m";
  info.workload_name = "synthetic";
  info.hardware_json = R"({"gpus":[{"name":")" + gpu + R"("}]})";
  info.labels = {{"site", "lab"}};
  const RunId run = store.BeginRun(info);
  auto& db = store.database();
  results::Statement insert(
      db, "INSERT INTO run_metrics (run_id, name, value, unit) VALUES (?, ?, ?, ?)");
  const auto add = [&](const char* name, double value, const char* unit) {
    insert.Bind(1, run.value);
    insert.Bind(2, name);
    insert.Bind(3, value);
    insert.Bind(4, unit);
    insert.Run();
    insert.Reset();
  };
  add("ttft_p99_ms", ttft_p99_ms, "ms");
  add("output_tokens_per_s", 1000 + ttft_p99_ms, "tokens/s");
  if (finish) {
    store.SetRunValidity(run, results::Validity::kValid, {});
    store.FinishRun(run, results::RunStatus::kCompleted, 1'800'000'000'000'000'000);
  }
  return run;
}

TEST(StoredRunsCollectableTest, ExportsFinishedRunsAsStored) {
  testing::TempDir dir;
  const std::string path = dir.File("runs.db");
  auto store = results::ResultsStore::OpenForWriting(path);
  AddRun(store, "NVIDIA H100", 120, true);
  AddRun(store, "NVIDIA H200", 80, true);
  AddRun(store, "NVIDIA B200", 60, false);  // still running: left out

  StoredRunsCollectable exporter(path);
  auto families = exporter.Collect();
  const auto* info = Find(families, "infermeter_run_info");
  ASSERT_NE(info, nullptr);
  ASSERT_EQ(info->metric.size(), 2u);
  EXPECT_EQ(Label(info->metric[0], "hardware"), "1x NVIDIA H100");
  EXPECT_EQ(Label(info->metric[1], "hardware"), "1x NVIDIA H200");
  EXPECT_EQ(Label(info->metric[1], "status"), "completed");
  EXPECT_EQ(Label(info->metric[1], "validity"), "valid");
  EXPECT_EQ(Label(info->metric[1], "site"), "lab");
  const auto* ttft = Find(families, "infermeter_run_ttft_seconds");
  ASSERT_NE(ttft, nullptr);
  ASSERT_EQ(ttft->metric.size(), 2u);
  EXPECT_EQ(Label(ttft->metric[1], "run_id"), "2");
  EXPECT_EQ(Label(ttft->metric[1], "stat"), "p99");
  EXPECT_DOUBLE_EQ(ttft->metric[1].gauge.value, 0.08);
  EXPECT_DOUBLE_EQ(Find(families, "infermeter_run_end_time_seconds")->metric[0].gauge.value,
                   1'800'000'000.0);
  EXPECT_EQ(Find(families, "infermeter_exporter_runs")->metric[0].gauge.value, 2);

  // Another process finishes a run: the next scrape has it.
  AddRun(store, "Ascend 910B", 200, true);
  families = exporter.Collect();
  EXPECT_EQ(Find(families, "infermeter_run_info")->metric.size(), 3u);

  // The file is replaced by something that is not a results file: the last figures stay, and
  // the failure is counted.
  store = results::ResultsStore::OpenForWriting(dir.File("other.db"));
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  std::ofstream(path) << "not a database any more";
  for (int i = 0; i < 2; ++i) families = exporter.Collect();
  EXPECT_EQ(Find(families, "infermeter_run_info")->metric.size(), 3u);
  EXPECT_EQ(Find(families, "infermeter_exporter_last_read_success")->metric[0].gauge.value, 0);
  EXPECT_EQ(Find(families, "infermeter_exporter_read_errors_total")->metric[0].counter.value, 2);

  // A new results file under the same name: its runs, and healthy again.
  std::filesystem::remove(path);
  {
    auto fresh = results::ResultsStore::OpenForWriting(path);
    AddRun(fresh, "NVIDIA GB200", 50, true);
  }
  families = exporter.Collect();
  ASSERT_EQ(Find(families, "infermeter_run_info")->metric.size(), 1u);
  EXPECT_EQ(Label(Find(families, "infermeter_run_info")->metric[0], "hardware"), "1x NVIDIA GB200");
  EXPECT_EQ(Find(families, "infermeter_exporter_last_read_success")->metric[0].gauge.value, 1);
}

TEST(StoredRunsCollectableTest, RefusesWhatIsNotAResultsFile) {
  testing::TempDir dir;
  EXPECT_THROW(StoredRunsCollectable(dir.File("missing.db")), Error);
  std::ofstream(dir.File("text.db")) << "hello";
  EXPECT_THROW(StoredRunsCollectable(dir.File("text.db")), Error);
}

}  // namespace
}  // namespace infermeter::exporter
