// The Runs table's catalog on real results files: every run with its exact figures and labels,
// the key figures' fallbacks, the clear errors of an unreadable file, and cancellation.

#include "infermeter/dashboard/run_catalog.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>

#include <fmt/format.h>

#include "infermeter/dashboard/run_snapshot.h"
#include "infermeter/results/schema.h"
#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"
#include "temp_db.h"

namespace infermeter::dashboard {
namespace {

constexpr const char* kTwoH100 =
    R"({"cpu_model":"Xeon","logical_cores":64,"device":"cpu",)"
    R"("gpus":[{"name":"NVIDIA H100"},{"name":"NVIDIA H100"}],"npus":[]})";
constexpr const char* kCpuHost =
    R"({"cpu_model":"AMD EPYC","logical_cores":2,"device":"cpu","gpus":[],"npus":[]})";
constexpr const char* kServer =
    R"({"cpu_model":"Xeon","device":"server at http://10.0.0.5:8000","gpus":[],"npus":[]})";

const KeyFigure& Key(std::string_view header) {
  for (const KeyFigure& figure : KeyFigures()) {
    if (figure.header == header) return figure;
  }
  throw std::logic_error(fmt::format("no key figure {}", header));
}

// Expects `call` to throw Error whose message names `path`.
template <typename Call>
void ExpectErrorNaming(const std::string& path, Call call) {
  try {
    call();
    ADD_FAILURE() << "expected an error for " << path;
  } catch (const LoadCancelled&) {
    ADD_FAILURE() << "cancelled instead of an error for " << path;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

class RunCatalogTest : public ::testing::Test {
 protected:
  RunId AddRun(results::ResultsStore& store, const std::string& name, const char* hardware_json,
               std::vector<std::pair<std::string, double>> metrics) {
    results::RunInfo info;
    info.name = name;
    info.engine = "reference";
    info.model = "v4-mini";
    info.workload_name = "agentic";
    info.hardware_json = hardware_json;
    const RunId run = store.BeginRun(info);
    results::ResultsWriter writer(path_);
    for (const auto& [metric, value] : metrics) {
      writer.Add(results::RunMetric{run, metric, value, metric.ends_with("_ms") ? "ms" : "x"});
    }
    writer.Close();
    return run;
  }

  testing::TempDir dir_;
  const std::string path_ = dir_.File("runs.db");
};

TEST_F(RunCatalogTest, EveryRunWithItsFiguresLabelsAndFallbacks) {
  {
    auto store = results::ResultsStore::OpenForWriting(path_);
    const RunId a = AddRun(store, "h100", kTwoH100,
                           {{"output_tokens_per_s", 1234.5},
                            {"ttft_p99_ms", 80},
                            {"mfu", 0.4},
                            {"kv_bytes_peak", 5e9},
                            {"server_kv_bytes_peak", 6e9},
                            {"kv_analytic_bytes_peak", 7e9}});
    store.FinishRun(a, results::RunStatus::kCompleted, 10);
    store.SetRunValidity(a, results::Validity::kValid, {});
    // Only the analytic KV estimate: the fallback of last resort.
    AddRun(store, "cpu", kCpuHost, {{"kv_analytic_bytes_peak", 3e6}, {"ttft_p50_ms", 12}});
    results::RunInfo labelled;
    labelled.name = "server";
    labelled.hardware_json = kServer;
    labelled.labels = {{"devices", "8"}, {"team", "infra"}};
    const RunId c = store.BeginRun(labelled);
    results::ResultsWriter writer(path_);
    writer.Add(results::RunMetric{c, "server_kv_bytes_peak", 2e9, "bytes"});
    writer.Close();
  }

  const RunCatalog catalog = LoadRunCatalog(path_);
  EXPECT_EQ(catalog.db_path, path_);
  ASSERT_EQ(catalog.runs.size(), 3u);
  const CatalogRun& h100 = catalog.runs[0];
  const CatalogRun& cpu = catalog.runs[1];
  const CatalogRun& server = catalog.runs[2];
  EXPECT_LT(h100.run.id, cpu.run.id);
  EXPECT_LT(cpu.run.id, server.run.id);
  EXPECT_EQ(h100.run.info.name, "h100");
  EXPECT_EQ(h100.run.status, results::RunStatus::kCompleted);
  EXPECT_EQ(h100.run.validity, results::Validity::kValid);
  EXPECT_EQ(server.run.status, results::RunStatus::kRunning);
  EXPECT_EQ(h100.hardware, "2x NVIDIA H100");
  EXPECT_EQ(cpu.hardware, "AMD EPYC (2 cores)");
  EXPECT_EQ(server.hardware, "server at http://10.0.0.5:8000");
  EXPECT_EQ(server.run.info.labels.at("devices"), "8");
  EXPECT_EQ(server.run.info.labels.at("team"), "infra");

  // Each run has exactly its own rows, ordered by name, with their units.
  ASSERT_EQ(h100.metrics.size(), 6u);
  EXPECT_TRUE(std::is_sorted(h100.metrics.begin(), h100.metrics.end(),
                             [](const auto& x, const auto& y) { return x.name < y.name; }));
  for (const CatalogRun& run : catalog.runs) {
    for (const results::RunMetric& m : run.metrics) EXPECT_EQ(m.run_id, run.run.id);
  }
  EXPECT_EQ(cpu.metrics.size(), 2u);
  EXPECT_EQ(server.metrics.size(), 1u);
  EXPECT_EQ(server.metrics[0].unit, "bytes");
  EXPECT_EQ(h100.Metric("output_tokens_per_s"), 1234.5);
  EXPECT_EQ(h100.Metric("ttft_p99_ms"), 80);
  EXPECT_EQ(h100.Metric("output_tokens"), std::nullopt);
  EXPECT_EQ(cpu.Metric("output_tokens_per_s"), std::nullopt);

  // Peak KV: the engine's own, else the server's, else the analytic estimate.
  const KeyFigure& kv = Key("Peak KV");
  EXPECT_EQ(KeyFigureValue(h100, kv), 5e9);
  EXPECT_EQ(KeyFigureValue(server, kv), 2e9);
  EXPECT_EQ(KeyFigureValue(cpu, kv), 3e6);
  EXPECT_EQ(KeyFigureValue(h100, Key("MFU")), 0.4);
  EXPECT_EQ(KeyFigureValue(cpu, Key("MFU")), std::nullopt);
  EXPECT_EQ(KeyFigureValue(cpu, Key("TTFT p50")), 12);
}

TEST(KeyFiguresTest, ColumnsInOrderWithStoredUnits) {
  std::vector<std::string_view> headers;
  for (const KeyFigure& figure : KeyFigures()) headers.push_back(figure.header);
  EXPECT_EQ(headers,
            (std::vector<std::string_view>{"Output tok/s", "TTFT p50", "TTFT p99", "TPOT p50",
                                           "TPOT p99", "Goodput req/s", "MFU", "Peak KV"}));
  EXPECT_EQ(KeyFigures()[0].unit, "tokens/s");
  EXPECT_EQ(KeyFigures()[0].metrics, (std::vector<std::string_view>{"output_tokens_per_s"}));
  EXPECT_EQ(KeyFigures()[4].metrics, (std::vector<std::string_view>{"tpot_p99_ms"}));
  EXPECT_EQ(KeyFigures()[6].unit, "");
  EXPECT_EQ(KeyFigures()[7].unit, "bytes");
  EXPECT_EQ(KeyFigures()[7].metrics,
            (std::vector<std::string_view>{"kv_bytes_peak", "server_kv_bytes_peak",
                                           "kv_analytic_bytes_peak"}));
}

TEST_F(RunCatalogTest, ManyRunsEachGetTheirOwnFigures) {
  constexpr int kRuns = 300;
  constexpr int kMetricsPerRun = 20;  // 6000 rows: past a cancel check, in one query
  {
    auto store = results::ResultsStore::OpenForWriting(path_);
    std::vector<RunId> runs;
    for (int i = 0; i < kRuns; ++i) {
      results::RunInfo info;
      info.name = fmt::format("run-{}", i);
      runs.push_back(store.BeginRun(info));
    }
    results::ResultsWriter writer(path_);
    for (int i = 0; i < kRuns; ++i) {
      for (int m = 0; m < kMetricsPerRun; ++m) {
        writer.Add(results::RunMetric{runs[i], fmt::format("m{:02}", m), i * 100.0 + m, ""});
      }
    }
    writer.Close();
  }
  const RunCatalog catalog = LoadRunCatalog(path_);
  ASSERT_EQ(catalog.runs.size(), static_cast<std::size_t>(kRuns));
  for (int i = 0; i < kRuns; ++i) {
    const CatalogRun& run = catalog.runs[i];
    EXPECT_EQ(run.run.info.name, fmt::format("run-{}", i));
    ASSERT_EQ(run.metrics.size(), static_cast<std::size_t>(kMetricsPerRun));
    EXPECT_EQ(run.Metric("m00"), i * 100.0);
    EXPECT_EQ(run.Metric("m19"), i * 100.0 + 19);
  }
}

TEST_F(RunCatalogTest, AnEmptyFileHasNoRuns) {
  results::ResultsStore::OpenForWriting(path_);
  EXPECT_TRUE(LoadRunCatalog(path_).runs.empty());
}

TEST_F(RunCatalogTest, MissingForeignAndNewerFilesAreClearErrorsNamingThePath) {
  const std::string missing = dir_.File("missing.db");
  ExpectErrorNaming(missing, [&] { LoadRunCatalog(missing); });

  const std::string text = dir_.File("notes.db");
  std::ofstream(text) << "these are notes, not a database\n";
  ExpectErrorNaming(text, [&] { LoadRunCatalog(text); });

  results::ResultsStore::OpenForWriting(path_);
  {
    results::Database db(path_, results::OpenMode::kReadWrite);
    // A plain integer, not input: PRAGMAs take no bound parameters.
    db.Execute(fmt::format("PRAGMA user_version = {}", results::CurrentSchemaVersion() + 1));
  }
  try {
    LoadRunCatalog(path_);
    ADD_FAILURE() << "a newer schema was read";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path_), std::string::npos) << message;
    EXPECT_NE(message.find("newer"), std::string::npos) << message;
  }
}

TEST_F(RunCatalogTest, Cancelled) {
  {
    auto store = results::ResultsStore::OpenForWriting(path_);
    AddRun(store, "a", kCpuHost, {{"output_tokens_per_s", 1}});
  }
  std::atomic<bool> cancel{true};
  EXPECT_THROW(LoadRunCatalog(path_, &cancel), LoadCancelled);
  cancel = false;
  EXPECT_EQ(LoadRunCatalog(path_, &cancel).runs.size(), 1u);
}

}  // namespace
}  // namespace infermeter::dashboard
