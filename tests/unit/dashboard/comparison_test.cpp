// The Compare view's figures on runs read back from a real results file: ratios against the
// baseline, each hardware normalisation with its units, the device-count rules, and the
// warnings that say when runs are not like for like.

#include "infermeter/dashboard/comparison.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"
#include "temp_db.h"

namespace infermeter::dashboard {
namespace {

using Metrics = std::map<std::string, std::pair<double, std::string>>;

struct RunSpec {
  std::string name;
  std::string hardware_json;
  std::string workload_name = "agentic";
  std::string workload_hash = "00000000000000aa";
  std::string model = "deepseek-v4";
  std::map<std::string, std::string> labels;
  results::RunStatus status = results::RunStatus::kCompleted;
  results::Validity validity = results::Validity::kValid;
  std::vector<std::string> reasons;
  Metrics metrics;
};

// A hardware description as collectors/hardware_description.cpp writes one: `count` GPUs.
std::string Gpus(int count, const std::string& name) {
  std::vector<std::string> gpus(count, fmt::format(R"({{"name":"{}"}})", name));
  return fmt::format(R"({{"cpu_model":"Xeon","device":"cpu","gpus":[{}],"npus":[]}})",
                     fmt::join(gpus, ","));
}

const std::string kCpuHost = R"({"cpu_model":"AMD EPYC","device":"cpu","gpus":[],"npus":[]})";
const std::string kServer = R"({"cpu_model":"Xeon","device":"server at http://10.0.0.5:8000",)"
                            R"("gpus":[{"name":"NVIDIA T4"}],"npus":[]})";

// Writes the runs to a fresh results file and reads them back as the Compare view gets them.
std::vector<CatalogRun> Stored(const testing::TempDir& dir, const std::vector<RunSpec>& specs) {
  const std::string path = dir.File("compare.db");
  {
    auto store = results::ResultsStore::OpenForWriting(path);
    results::ResultsWriter writer(path);
    for (const RunSpec& spec : specs) {
      results::RunInfo info;
      info.name = spec.name;
      info.engine = "reference";
      info.model = spec.model;
      info.hardware_json = spec.hardware_json;
      info.workload_name = spec.workload_name;
      info.workload_hash = spec.workload_hash;
      info.labels = spec.labels;
      const RunId run = store.BeginRun(info);
      for (const auto& [name, value] : spec.metrics) {
        writer.Add(results::RunMetric{run, name, value.first, value.second});
      }
      if (spec.status != results::RunStatus::kRunning) store.FinishRun(run, spec.status, 1);
      store.SetRunValidity(run, spec.validity, spec.reasons);
    }
    writer.Close();
  }
  return LoadRunCatalog(path).runs;
}

// Run 1: eight H100s (the baseline), run 2: four H200s, run 3: a CPU host, run 4: a server.
std::vector<RunSpec> FourRuns() {
  RunSpec h100{.name = "h100x8", .hardware_json = Gpus(8, "NVIDIA H100")};
  h100.metrics = {{"output_tokens_per_s", {8000, "tokens/s"}},
                  {"request_throughput_per_s", {40, "requests/s"}},
                  {"ttft_p99_ms", {200, "ms"}},
                  {"mfu", {0.4, ""}},
                  {"achieved_flops_per_s", {8e15, "FLOP/s"}},  // peak 20 PFLOP/s
                  {"gpu_power_mean_w", {4000, "W"}},           // all eight together
                  {"kv_bytes_peak", {1e9, "bytes"}}};
  // Same requests under another name: like for like by its hash.
  RunSpec h200{.name = "h200x4", .hardware_json = Gpus(4, "NVIDIA H200")};
  h200.workload_name = "agentic-copy";
  h200.metrics = {{"output_tokens_per_s", {6000, "tokens/s"}},
                  {"request_throughput_per_s", {30, "requests/s"}},
                  {"ttft_p99_ms", {100, "ms"}},
                  {"mfu", {0.5, ""}},
                  {"achieved_flops_per_s", {5e15, "FLOP/s"}},  // peak 10 PFLOP/s
                  {"gpu_power_mean_w", {2000, "W"}},
                  {"server_kv_bytes_peak", {2e9, "bytes"}}};
  RunSpec cpu{.name = "cpu", .hardware_json = kCpuHost};
  cpu.workload_name = "long-context";
  cpu.workload_hash = "00000000000000bb";
  cpu.model = "v4-mini";
  cpu.status = results::RunStatus::kInterrupted;
  cpu.validity = results::Validity::kInvalid;
  cpu.reasons = {"only 3 requests completed (at least 10 needed)", "a second reason"};
  cpu.metrics = {{"output_tokens_per_s", {100, "tokens/s"}}, {"ttft_p99_ms", {4000, "ms"}}};
  RunSpec server{.name = "server", .hardware_json = kServer};
  server.workload_hash = "";  // compared by name
  server.metrics = {{"output_tokens_per_s", {3000, "tokens/s"}}};
  return {h100, h200, cpu, server};
}

const ComparedFigure* FigureOf(const Comparison& c, std::string_view metric) {
  for (const ComparedFigure& figure : c.figures) {
    if (figure.metric == metric) return &figure;
  }
  return nullptr;
}

// The figure; throws (failing the test) when the comparison left it out.
const ComparedFigure& Figure(const Comparison& c, std::string_view metric) {
  const ComparedFigure* figure = FigureOf(c, metric);
  if (figure == nullptr) throw std::logic_error(fmt::format("no figure {}", metric));
  return *figure;
}

// The warning that mentions every one of `parts`, or "" when none does.
std::string WarningWith(const Comparison& c, std::vector<std::string> parts) {
  for (const std::string& warning : c.warnings) {
    bool all = true;
    for (const std::string& part : parts) all = all && warning.find(part) != std::string::npos;
    if (all) return warning;
  }
  return {};
}

using Values = std::vector<std::optional<double>>;

void ExpectValues(const Values& actual, const Values& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(actual[i].has_value(), expected[i].has_value());
    if (actual[i]) {
      EXPECT_NEAR(*actual[i], *expected[i], 1e-9 * std::abs(*expected[i]));
    }
  }
}

class ComparisonTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  const std::vector<CatalogRun> runs_ = Stored(dir_, FourRuns());
};

TEST_F(ComparisonTest, RatiosAgainstTheBaselineWithoutNormalisation) {
  const Comparison c = CompareRuns(runs_, 0, Normalisation::kNone);
  EXPECT_EQ(c.baseline, 0u);
  EXPECT_EQ(c.normalisation, Normalisation::kNone);
  const ComparedFigure& output = Figure(c, "output_tokens_per_s");
  EXPECT_EQ(output.unit, "tokens/s");
  EXPECT_TRUE(output.higher_is_better);
  EXPECT_FALSE(output.normalised);
  ExpectValues(output.values, {8000, 6000, 100, 3000});
  ExpectValues(output.ratios, {1, 0.75, 0.0125, 0.375});

  const ComparedFigure& ttft = Figure(c, "ttft_p99_ms");
  EXPECT_EQ(ttft.label, "TTFT p99");
  EXPECT_EQ(ttft.unit, "ms");
  EXPECT_FALSE(ttft.higher_is_better);
  ExpectValues(ttft.values, {200, 100, 4000, std::nullopt});
  ExpectValues(ttft.ratios, {1, 0.5, 20, std::nullopt});

  // Peak KV with its fallbacks; MFU as a ratio.
  const ComparedFigure& kv = Figure(c, "kv_bytes_peak");
  EXPECT_FALSE(kv.higher_is_better);
  ExpectValues(kv.values, {1e9, 2e9, std::nullopt, std::nullopt});
  ExpectValues(kv.ratios, {1, 2, std::nullopt, std::nullopt});
  EXPECT_EQ(Figure(c, "mfu").unit, "");

  // No run has these: left out.
  EXPECT_EQ(FigureOf(c, "itl_p50_ms"), nullptr);
  EXPECT_EQ(FigureOf(c, "output_tokens_per_j"), nullptr);

  // Against another baseline, and one with no value: no ratios.
  const Comparison by_h200 = CompareRuns(runs_, 1, Normalisation::kNone);
  ExpectValues(Figure(by_h200, "output_tokens_per_s").ratios, {8000.0 / 6000, 1, 0.1 / 6, 0.5});
  const Comparison by_server = CompareRuns(runs_, 3, Normalisation::kNone);
  ExpectValues(Figure(by_server, "ttft_p99_ms").ratios,
               {std::nullopt, std::nullopt, std::nullopt, std::nullopt});
}

TEST_F(ComparisonTest, PerDevice) {
  const Comparison c = CompareRuns(runs_, 0, Normalisation::kPerDevice);
  const ComparedFigure& output = Figure(c, "output_tokens_per_s");
  EXPECT_TRUE(output.normalised);
  EXPECT_EQ(output.unit, "tokens/s/device");
  ExpectValues(output.values, {1000, 1500, 100, std::nullopt});
  ExpectValues(output.ratios, {1, 1.5, 0.1, std::nullopt});
  EXPECT_EQ(Figure(c, "request_throughput_per_s").unit, "requests/s/device");
  // Latency, MFU and KV are never divided.
  EXPECT_FALSE(Figure(c, "ttft_p99_ms").normalised);
  ExpectValues(Figure(c, "ttft_p99_ms").values, {200, 100, 4000, std::nullopt});
  EXPECT_FALSE(Figure(c, "mfu").normalised);
  EXPECT_NE(WarningWith(c, {"run 4 (server)", "per-device"}), "");
  EXPECT_EQ(WarningWith(c, {"run 3 (cpu)", "per-device"}), "");
}

TEST_F(ComparisonTest, PerPeakFlops) {
  const Comparison c = CompareRuns(runs_, 0, Normalisation::kPerPeakFlops);
  const ComparedFigure& output = Figure(c, "output_tokens_per_s");
  EXPECT_EQ(output.unit, "tokens/s per PFLOP/s");
  ExpectValues(output.values, {400, 600, std::nullopt, std::nullopt});
  ExpectValues(output.ratios, {1, 1.5, std::nullopt, std::nullopt});
  EXPECT_NE(WarningWith(c, {"run 3 (cpu)", "per-PFLOP/s"}), "");
  EXPECT_NE(WarningWith(c, {"run 4 (server)", "per-PFLOP/s"}), "");
}

TEST_F(ComparisonTest, PerWattUsesThePowerOfAllDevices) {
  const Comparison c = CompareRuns(runs_, 0, Normalisation::kPerWatt);
  const ComparedFigure& output = Figure(c, "output_tokens_per_s");
  EXPECT_EQ(output.unit, "tokens/J");
  ExpectValues(output.values, {2, 3, std::nullopt, std::nullopt});
  ExpectValues(output.ratios, {1, 1.5, std::nullopt, std::nullopt});
  EXPECT_EQ(Figure(c, "request_throughput_per_s").unit, "requests/J");
  EXPECT_EQ(WarningWith(c, {"run 3 (cpu)", "per-watt"}),
            "run 3 (cpu): no power readings, so it has no per-watt figures");
  EXPECT_NE(WarningWith(c, {"run 4 (server)", "no power readings"}), "");
  EXPECT_EQ(WarningWith(c, {"run 1 (h100x8)", "per-watt"}), "");
}

TEST_F(ComparisonTest, WarnsWhenRunsAreNotLikeForLike) {
  const Comparison c = CompareRuns(runs_, 0, Normalisation::kNone);
  EXPECT_NE(WarningWith(c, {"workloads differ", "run 3 (cpu)", "long-context", "agentic"}), "");
  // Same hash under another name: the same requests.
  EXPECT_EQ(WarningWith(c, {"workloads differ", "run 2 (h200x4)"}), "");
  // No hash on one side: compared by name, which is the same.
  EXPECT_EQ(WarningWith(c, {"workloads differ", "run 4 (server)"}), "");
  EXPECT_NE(WarningWith(c, {"models differ", "run 3 (cpu)", "v4-mini", "deepseek-v4"}), "");
  EXPECT_EQ(WarningWith(c, {"models differ", "run 2"}), "");
  EXPECT_NE(WarningWith(c, {"run 3 (cpu)", "interrupted", "not completed"}), "");
  // Every reason, as `infermeter compare` says it (dashboard::OutcomeWarnings).
  EXPECT_EQ(WarningWith(c, {"run 3 (cpu)", "INVALID"}),
            "run 3 (cpu) is INVALID: only 3 requests completed (at least 10 needed); a second "
            "reason");
  // Nothing about runs 1, 2 and 4: workload, model, completion and verdict all match.
  EXPECT_EQ(c.warnings.size(), 4u) << fmt::format("{}", fmt::join(c.warnings, "\n"));
}

TEST(ComparisonWarningsTest, SameNameOtherRequests) {
  testing::TempDir dir;
  RunSpec a{.name = "a", .hardware_json = kCpuHost};
  RunSpec b{.name = "b", .hardware_json = kCpuHost};
  b.workload_hash = "00000000000000cc";
  a.metrics = b.metrics = {{"output_tokens_per_s", {1, "tokens/s"}}};
  const Comparison c = CompareRuns(Stored(dir, {a, b}), 0, Normalisation::kNone);
  EXPECT_NE(
      WarningWith(c, {"workloads differ", "run 2 (b)", "00000000000000cc", "00000000000000aa"}),
      "");
  EXPECT_EQ(c.warnings.size(), 1u);
}

TEST(HardwareScaleTest, DeviceCountRules) {
  testing::TempDir dir;
  RunSpec gpus{.name = "gpus", .hardware_json = Gpus(8, "NVIDIA H100")};
  RunSpec npus{.name = "npus",
               .hardware_json = R"({"cpu_model":"Kunpeng","gpus":[],)"
                                R"("npus":[{"name":"Ascend 910B"},{"name":"Ascend 910B"}]})"};
  npus.metrics = {{"npu_power_mean_w", {700, "W"}}, {"gpu_power_mean_w", {300, "W"}}};
  RunSpec cpu{.name = "cpu", .hardware_json = kCpuHost};
  RunSpec server{.name = "server", .hardware_json = kServer};
  RunSpec labelled{.name = "labelled", .hardware_json = kServer, .labels = {{"devices", "2"}}};
  RunSpec label_wins{.name = "wins", .hardware_json = Gpus(8, "X"), .labels = {{"devices", "4"}}};
  RunSpec bad_label{.name = "bad", .hardware_json = Gpus(8, "X"), .labels = {{"devices", "x"}}};
  RunSpec unknown{.name = "unknown", .hardware_json = "{}"};
  unknown.metrics = {{"mfu", {0.5, ""}}, {"achieved_flops_per_s", {1e15, "FLOP/s"}}};
  RunSpec zero_mfu{.name = "zero", .hardware_json = kCpuHost};
  zero_mfu.metrics = {{"mfu", {0, ""}}, {"achieved_flops_per_s", {1e15, "FLOP/s"}}};
  const auto runs =
      Stored(dir, {gpus, npus, cpu, server, labelled, label_wins, bad_label, unknown, zero_mfu});
  std::vector<std::optional<int>> devices;
  for (const CatalogRun& run : runs) devices.push_back(HardwareScale(run).devices);
  EXPECT_EQ(devices,
            (std::vector<std::optional<int>>{8, 2, 1, std::nullopt, 2, 4, 8, std::nullopt, 1}));
  EXPECT_EQ(HardwareScale(runs[1]).mean_power_w, 1000);  // both kinds, each summed over devices
  EXPECT_EQ(HardwareScale(runs[0]).mean_power_w, std::nullopt);
  EXPECT_EQ(HardwareScale(runs[7]).peak_flops_per_s, 2e15);
  EXPECT_EQ(HardwareScale(runs[8]).peak_flops_per_s, std::nullopt);
  EXPECT_EQ(HardwareScale(runs[0]).peak_flops_per_s, std::nullopt);
}

TEST(ComparisonErrorsTest, BaselineOutOfRange) {
  testing::TempDir dir;
  const auto runs = Stored(dir, {RunSpec{.name = "a", .hardware_json = kCpuHost},
                                 RunSpec{.name = "b", .hardware_json = kCpuHost}});
  EXPECT_THROW(CompareRuns(runs, 2, Normalisation::kNone), Error);
  EXPECT_THROW(CompareRuns({}, 0, Normalisation::kPerDevice), Error);
  EXPECT_NO_THROW(CompareRuns(runs, 1, Normalisation::kNone));
}

TEST(ComparisonErrorsTest, ZeroBaselineHasNoRatios) {
  testing::TempDir dir;
  RunSpec a{.name = "a", .hardware_json = kCpuHost};
  RunSpec b{.name = "b", .hardware_json = kCpuHost};
  a.metrics = {{"goodput_requests_per_s", {0, "requests/s"}}};
  b.metrics = {{"goodput_requests_per_s", {3, "requests/s"}}};
  const Comparison c = CompareRuns(Stored(dir, {a, b}), 0, Normalisation::kNone);
  ExpectValues(Figure(c, "goodput_requests_per_s").ratios, {std::nullopt, std::nullopt});
}

TEST(NormalisationTest, Names) {
  EXPECT_EQ(ToString(Normalisation::kNone), "none");
  EXPECT_EQ(ToString(Normalisation::kPerDevice), "per device");
  EXPECT_EQ(ToString(Normalisation::kPerPeakFlops), "per peak PFLOP/s");
  EXPECT_EQ(ToString(Normalisation::kPerWatt), "per watt");
}

}  // namespace
}  // namespace infermeter::dashboard
