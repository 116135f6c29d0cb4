// `infermeter exporter --db` on real results files made through the store and writer APIs:
// finished runs only, each family once, `infermeter_run_info`'s labels, every run_metrics row
// exported in base units under exactly {run_id[, stat]}, the file read again only when it
// changed (and then only new or changed runs), and the last good figures kept when the file is
// deleted or corrupted.

#include "infermeter/exporter/stored_runs_collectable.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "infermeter/exporter/run_metric_names.h"
#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"
#include "temp_db.h"

namespace infermeter::exporter {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using Labels = std::map<std::string, std::string>;

const MetricFamily* Find(const std::vector<MetricFamily>& families, const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

Labels LabelsOf(const ClientMetric& metric) {
  Labels labels;
  for (const auto& label : metric.label) labels.emplace(label.name, label.value);
  return labels;
}

// The one series of `family` with exactly these labels; fails the test when there is not one.
const ClientMetric* Series(const std::vector<MetricFamily>& families, const std::string& family,
                           const Labels& labels) {
  const MetricFamily* found = Find(families, family);
  if (found == nullptr) {
    ADD_FAILURE() << "no family " << family;
    return nullptr;
  }
  const ClientMetric* match = nullptr;
  for (const auto& metric : found->metric) {
    if (LabelsOf(metric) != labels) continue;
    EXPECT_EQ(match, nullptr) << "two series of " << family << " with the same labels";
    match = &metric;
  }
  if (match == nullptr) ADD_FAILURE() << "no series of " << family << " with those labels";
  return match;
}

std::size_t RunInfoCount(const std::vector<MetricFamily>& families) {
  const MetricFamily* info = Find(families, "infermeter_run_info");
  return info ? info->metric.size() : 0;
}

double Health(const std::vector<MetricFamily>& families, const std::string& name) {
  const MetricFamily* family = Find(families, name);
  if (family == nullptr || family->metric.size() != 1) {
    ADD_FAILURE() << "no single series of " << name;
    return -1;
  }
  return family->type == prometheus::MetricType::Counter ? family->metric[0].counter.value
                                                         : family->metric[0].gauge.value;
}

struct RunSpec {
  std::string name;
  std::string hardware_json = "{}";
  Labels labels;
  std::vector<std::pair<std::string, std::pair<double, std::string>>> metrics;  // name, value, unit
  std::optional<results::RunStatus> end;  // nullopt: still running
  std::optional<results::Validity> validity;
};

constexpr std::int64_t kEndNs = 1'800'000'000'123'000'000;

// A run as the harness records one: the runs row, its figures through the writer (its own
// connection), then the verdict and the end.
RunId AddRun(const std::string& path, results::ResultsStore& store, const RunSpec& spec) {
  results::RunInfo info;
  info.name = spec.name;
  info.engine = "openai";
  info.model = "deepseek-v4-flash";
  info.workload_name = "agentic";
  info.hardware_json = spec.hardware_json;
  info.labels = spec.labels;
  info.clock_origin = ClockOrigin::Now();
  const RunId run = store.BeginRun(info);
  {
    results::ResultsWriter writer(path);
    for (const auto& [name, value_unit] : spec.metrics) {
      writer.Add(results::RunMetric{run, name, value_unit.first, value_unit.second});
    }
    writer.Close();
  }
  if (spec.validity) store.SetRunValidity(run, *spec.validity, {});
  if (spec.end) store.FinishRun(run, *spec.end, kEndNs);
  return run;
}

const std::string kH100 =
    R"({"cpu_model":"Intel Xeon Platinum 8480+","logical_cores":224,)"
    R"("gpus":[{"name":"NVIDIA H100 80GB HBM3"},{"name":"NVIDIA H100 80GB HBM3"}],"npus":[]})";
const std::string kAscend =
    R"({"cpu_model":"Kunpeng 920","logical_cores":192,"gpus":[],)"
    R"("npus":[{"name":"Ascend 910B"},{"name":"Ascend 910B"},{"name":"Ascend 910B"}]})";

RunSpec H100Run() {
  return {.name = "agentic on H100",
          .hardware_json = kH100,
          .labels = {{"site", "lab-a"}, {"team-name", "infra"}},
          .metrics = {{"ttft_p99_ms", {12.5, "ms"}},
                      {"ttft_p99_9_ms", {13.0, "ms"}},
                      {"ttft_mean_ms", {10.0, "ms"}},
                      {"ttft_count", {40, "requests"}},
                      {"client_cpu_per_request_us", {250, "us"}},
                      {"duration_s", {12.25, "s"}},
                      {"output_tokens", {1234, "tokens"}},
                      {"output_tokens_per_s", {456.5, "tokens/s"}},
                      {"request_throughput_per_s", {3.25, "requests/s"}},
                      {"kv_bytes_peak", {1.5e9, "bytes"}},
                      {"process_cpu_percent_mean", {87.5, "%"}},
                      {"mfu", {0.31, ""}},
                      {"gpu_energy_j", {321, "J"}},
                      {"gpu_power_mean_w", {650, "W"}},
                      {"output_tokens_per_j", {3.75, "tokens/J"}},
                      {"flops_total", {5e12, "FLOP"}}},
          .end = results::RunStatus::kCompleted,
          .validity = results::Validity::kValid};
}

RunSpec AscendRun() {
  return {.name = "agentic on 910B",
          .hardware_json = kAscend,
          .labels = {{"site", "lab-b"}, {"hardware", "3x Ascend 910B (MindIE 2.0)"}},
          .metrics = {{"ttft_p99_ms", {80, "ms"}},
                      {"output_tokens", {999, "tokens"}},
                      {"npu_power_mean_w", {300, "W"}}},
          .end = results::RunStatus::kInterrupted,
          .validity = results::Validity::kInvalid};
}

TEST(StoredRunsCollectableTest, ExportsEveryFinishedRunAsStored) {
  testing::TempDir dir;
  const std::string path = dir.File("runs.db");
  auto store = results::ResultsStore::OpenForWriting(path);
  const RunId h100 = AddRun(path, store, H100Run());
  const RunId running = AddRun(
      path, store,
      {.name = "still running", .hardware_json = kH100, .metrics = {{"ttft_p99_ms", {1, "ms"}}}});
  const RunId ascend = AddRun(path, store, AscendRun());
  const RunId failed = AddRun(path, store, {.name = "failed", .end = results::RunStatus::kFailed});

  const StoredRunsCollectable exporter(path);
  const std::vector<MetricFamily> families = exporter.Collect();

  // Each family once, with help text; gauges but for the error counter.
  std::set<std::string> names;
  for (const auto& family : families) {
    EXPECT_TRUE(names.insert(family.name).second) << family.name << " appears twice";
    EXPECT_FALSE(family.help.empty()) << family.name;
    EXPECT_FALSE(family.metric.empty()) << family.name;
    EXPECT_EQ(family.type, family.name == "infermeter_exporter_read_errors_total"
                               ? prometheus::MetricType::Counter
                               : prometheus::MetricType::Gauge)
        << family.name;
  }

  // infermeter_run_info: the finished runs, with what they are and how they ended.
  ASSERT_EQ(RunInfoCount(families), 3u);
  const std::string h100_id = std::to_string(h100.value);
  const ClientMetric* info = Series(families, "infermeter_run_info",
                                    {{"run_id", h100_id},
                                     {"name", "agentic on H100"},
                                     {"engine", "openai"},
                                     {"model", "deepseek-v4-flash"},
                                     {"hardware", "2x NVIDIA H100 80GB HBM3"},
                                     {"workload", "agentic"},
                                     {"site", "lab-a"},
                                     {"team_name", "infra"},
                                     {"status", "completed"},
                                     {"validity", "valid"}});
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->gauge.value, 1);
  EXPECT_NE(Series(families, "infermeter_run_info",
                   {{"run_id", std::to_string(ascend.value)},
                    {"name", "agentic on 910B"},
                    {"engine", "openai"},
                    {"model", "deepseek-v4-flash"},
                    {"hardware", "3x Ascend 910B (MindIE 2.0)"},  // the user's label wins
                    {"workload", "agentic"},
                    {"site", "lab-b"},
                    {"status", "interrupted"},
                    {"validity", "invalid"}}),
            nullptr);
  EXPECT_NE(Series(families, "infermeter_run_info",
                   {{"run_id", std::to_string(failed.value)},
                    {"name", "failed"},
                    {"engine", "openai"},
                    {"model", "deepseek-v4-flash"},
                    {"hardware", "unknown"},
                    {"workload", "agentic"},
                    {"status", "failed"},
                    {"validity", ""}}),
            nullptr);

  // The running run is in no family at all.
  for (const auto& family : families) {
    for (const auto& metric : family.metric) {
      EXPECT_NE(LabelsOf(metric)["run_id"], std::to_string(running.value)) << family.name;
    }
  }

  // Start and end times, as stored.
  const results::RunRow row = *store.GetRun(h100);
  const ClientMetric* start =
      Series(families, "infermeter_run_start_time_seconds", {{"run_id", h100_id}});
  ASSERT_NE(start, nullptr);
  EXPECT_DOUBLE_EQ(start->gauge.value,
                   static_cast<double>(row.info.clock_origin.wall_unix_ns) / 1e9);
  const ClientMetric* end =
      Series(families, "infermeter_run_end_time_seconds", {{"run_id", h100_id}});
  ASSERT_NE(end, nullptr);
  EXPECT_DOUBLE_EQ(end->gauge.value, static_cast<double>(kEndNs) / 1e9);

  // The figure the issue names: 12.5 ms stored, 0.0125 s exported.
  const ClientMetric* ttft =
      Series(families, "infermeter_run_ttft_seconds", {{"run_id", h100_id}, {"stat", "p99"}});
  ASSERT_NE(ttft, nullptr);
  EXPECT_DOUBLE_EQ(ttft->gauge.value, 0.0125);

  // Every stored row of each finished run, and nothing else, in base units.
  for (const RunId run : {h100, ascend}) {
    const std::string id = std::to_string(run.value);
    const std::vector<results::RunMetric> stored = store.LoadRunMetrics(run);
    ASSERT_FALSE(stored.empty());
    for (const results::RunMetric& metric : stored) {
      const RunMetricName name = ExportedRunMetricName(metric.name, metric.unit);
      Labels labels{{"run_id", id}};
      if (!name.stat.empty()) labels.emplace("stat", name.stat);
      const ClientMetric* series = Series(families, name.family, labels);
      ASSERT_NE(series, nullptr) << metric.name;
      EXPECT_DOUBLE_EQ(series->gauge.value, metric.value * name.scale) << metric.name;
    }
    std::size_t exported = 0;
    for (const auto& family : families) {
      if (!family.name.starts_with("infermeter_run_") || family.name == "infermeter_run_info" ||
          family.name.ends_with("_time_seconds")) {
        continue;
      }
      for (const auto& metric : family.metric) exported += LabelsOf(metric)["run_id"] == id;
    }
    EXPECT_EQ(exported, stored.size()) << "run " << id;
  }

  EXPECT_EQ(Health(families, "infermeter_exporter_runs"), 3);
  EXPECT_EQ(Health(families, "infermeter_exporter_last_read_success"), 1);
  EXPECT_EQ(Health(families, "infermeter_exporter_read_errors_total"), 0);
}

TEST(StoredRunsCollectableTest, ReadsAgainOnlyWhatChanged) {
  testing::TempDir dir;
  const std::string path = dir.File("runs.db");
  auto store = results::ResultsStore::OpenForWriting(path);
  const RunId first = AddRun(path, store, H100Run());

  const StoredRunsCollectable exporter(path);
  const auto before = exporter.read_counts();
  EXPECT_EQ(before.runs_loaded, 1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(RunInfoCount(exporter.Collect()), 1u);
  EXPECT_EQ(exporter.read_counts().run_lists, before.run_lists) << "an unchanged file is not read";

  // Another run ends: the next scrape has it, and only it was read.
  const RunId second = AddRun(path, store, AscendRun());
  auto families = exporter.Collect();
  EXPECT_EQ(RunInfoCount(families), 2u);
  EXPECT_EQ(exporter.read_counts().run_lists, before.run_lists + 1);
  EXPECT_EQ(exporter.read_counts().runs_loaded, 2);
  EXPECT_NE(
      Series(families, "infermeter_run_output_tokens", {{"run_id", std::to_string(second.value)}}),
      nullptr);

  // A run writing its rows (the live case): the runs list is looked at, no run is read again,
  // and the running run is not exported.
  const RunId live =
      AddRun(path, store, {.name = "live", .metrics = {{"output_tokens", {5, "tokens"}}}});
  {
    results::ResultsWriter writer(path);
    results::SampleRecord sample;
    sample.run_id = live;
    sample.source = "latency";
    sample.metric = "in_flight_requests";
    sample.value = 2;
    writer.Add(sample);
    writer.Close();
  }
  EXPECT_EQ(RunInfoCount(exporter.Collect()), 2u);
  EXPECT_EQ(exporter.read_counts().runs_loaded, 2);

  // It ends: read once.
  store.SetRunValidity(live, results::Validity::kValid, {});
  store.FinishRun(live, results::RunStatus::kCompleted, kEndNs);
  families = exporter.Collect();
  EXPECT_EQ(RunInfoCount(families), 3u);
  EXPECT_EQ(exporter.read_counts().runs_loaded, 3);

  // An old run's row changes (its verdict): that run is read again, and shows it.
  store.SetRunValidity(first, results::Validity::kInvalid, {"edited"});
  families = exporter.Collect();
  EXPECT_EQ(exporter.read_counts().runs_loaded, 4);
  const MetricFamily* info = Find(families, "infermeter_run_info");
  ASSERT_NE(info, nullptr);
  for (const auto& metric : info->metric) {
    if (LabelsOf(metric)["run_id"] == std::to_string(first.value)) {
      EXPECT_EQ(LabelsOf(metric)["validity"], "invalid");
    }
  }
  EXPECT_EQ(exporter.read_counts().failed_reads, 0);
}

// Captures what the exporter logs.
class LogCapture {
 public:
  LogCapture()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100)),
        previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  int Count(const std::string& text) const {
    int count = 0;
    for (const std::string& line : sink_->last_formatted()) {
      count += line.find(text) != std::string::npos;
    }
    return count;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

void RemoveDatabase(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

TEST(StoredRunsCollectableTest, KeepsTheLastGoodFiguresWhenTheFileBreaks) {
  testing::TempDir dir;
  const std::string path = dir.File("runs.db");
  {
    auto store = results::ResultsStore::OpenForWriting(path);
    AddRun(path, store, H100Run());
    AddRun(path, store, AscendRun());
  }
  const StoredRunsCollectable exporter(path);
  const LogCapture log;
  const auto good = exporter.Collect();
  ASSERT_EQ(RunInfoCount(good), 2u);
  const auto good_size = [&](const std::vector<MetricFamily>& families) {
    std::size_t series = 0;
    for (const auto& family : families) {
      if (family.name.starts_with("infermeter_run_")) series += family.metric.size();
    }
    return series;
  };

  // Deleted: the last figures stay; each failed scrape is counted, the error logged once.
  RemoveDatabase(path);
  auto families = exporter.Collect();
  EXPECT_EQ(good_size(families), good_size(good));
  EXPECT_EQ(Health(families, "infermeter_exporter_last_read_success"), 0);
  EXPECT_EQ(Health(families, "infermeter_exporter_read_errors_total"), 1);
  EXPECT_EQ(Health(families, "infermeter_exporter_runs"), 2);
  families = exporter.Collect();
  families = exporter.Collect();
  EXPECT_EQ(Health(families, "infermeter_exporter_read_errors_total"), 3);
  EXPECT_EQ(log.Count("cannot read"), 1);
  EXPECT_EQ(log.Count("no results database"), 1);

  // Something that is not a database under that name: still the last figures; a new error,
  // logged once more.
  std::ofstream(path) << "not a database any more";
  families = exporter.Collect();
  families = exporter.Collect();
  EXPECT_EQ(good_size(families), good_size(good));
  EXPECT_EQ(Health(families, "infermeter_exporter_read_errors_total"), 5);
  EXPECT_EQ(log.Count("cannot read"), 2);

  // A results file again (another one: its run only), healthy again.
  std::filesystem::remove(path);
  {
    auto store = results::ResultsStore::OpenForWriting(path);
    AddRun(path, store,
           {.name = "fresh",
            .hardware_json = kAscend,
            .metrics = {{"output_tokens", {7, "tokens"}}},
            .end = results::RunStatus::kCompleted,
            .validity = results::Validity::kValid});
  }
  families = exporter.Collect();
  ASSERT_EQ(RunInfoCount(families), 1u);
  EXPECT_EQ(LabelsOf(Find(families, "infermeter_run_info")->metric[0])["name"], "fresh");
  EXPECT_EQ(Health(families, "infermeter_exporter_last_read_success"), 1);
  EXPECT_EQ(Health(families, "infermeter_exporter_read_errors_total"), 5);
  EXPECT_EQ(Health(families, "infermeter_exporter_runs"), 1);
  EXPECT_EQ(log.Count("readable again"), 1);

  // Corrupted in place (same inode, overwritten by something that is not SQLite).
  const auto healthy = exporter.Collect();
  // File times tick coarsely (a few ms): let the overwrite get a modification time of its own.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(0);
    file << "garbage garbage garbage garbage garbage garbage garbage garbage";
  }
  families = exporter.Collect();
  EXPECT_EQ(good_size(families), good_size(healthy));
  EXPECT_EQ(Health(families, "infermeter_exporter_last_read_success"), 0);
  EXPECT_EQ(Health(families, "infermeter_exporter_read_errors_total"), 6);
  EXPECT_EQ(log.Count("cannot read"), 3);  // a new failure after recovering is logged again
}

TEST(StoredRunsCollectableTest, ScrapesFromSeveralThreadsWhileRunsEnd) {
  testing::TempDir dir;
  const std::string path = dir.File("runs.db");
  auto store = results::ResultsStore::OpenForWriting(path);
  AddRun(path, store, H100Run());
  const StoredRunsCollectable exporter(path);
  std::atomic<bool> done{false};
  std::vector<std::thread> scrapers;
  for (int t = 0; t < 3; ++t) {
    scrapers.emplace_back([&] {
      std::size_t seen = 0;
      while (!done.load()) {
        const std::size_t now = RunInfoCount(exporter.Collect());
        EXPECT_GE(now, seen);  // runs only ever come
        seen = now;
      }
    });
  }
  for (int i = 0; i < 10; ++i) AddRun(path, store, AscendRun());
  done = true;
  for (auto& scraper : scrapers) scraper.join();
  EXPECT_EQ(RunInfoCount(exporter.Collect()), 11u);
  EXPECT_EQ(exporter.read_counts().failed_reads, 0);
}

TEST(StoredRunsCollectableTest, RefusesWhatIsNotAResultsFile) {
  testing::TempDir dir;
  const auto message = [](const std::string& path) {
    try {
      StoredRunsCollectable exporter(path);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message(dir.File("missing.db")).find("missing.db"), std::string::npos);
  std::ofstream(dir.File("text.db")) << "hello";
  EXPECT_NE(message(dir.File("text.db")).find("text.db"), std::string::npos);
  EXPECT_NE(message(dir.path().string()).find("directory"), std::string::npos);
}

}  // namespace
}  // namespace infermeter::exporter
