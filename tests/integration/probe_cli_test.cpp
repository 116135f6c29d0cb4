// `infermeter probe --quick` end to end: the JSON it prints and the rows it stores. No figure is
// checked against a threshold: the values depend on the machine and on what else runs on it.

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "process.h"
#include "temp_db.h"

namespace infermeter {
namespace {

using testing::RunProcess;
using testing::ShellQuote;

std::string Bin() { return ShellQuote(INFERMETER_BIN); }

bool PositiveFinite(const nlohmann::json& value) {
  return value.is_number() && std::isfinite(value.get<double>()) && value.get<double>() > 0;
}

TEST(ProbeCli, QuickJsonStoresPositivePeaks) {
  testing::TempDir dir;
  const std::string db = dir.File("probe.db");
  const auto result = RunProcess(Bin() + " probe --quick --json --db " + ShellQuote(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  for (const char* key :
       {"db", "host", "cpu_model", "logical_cores", "measured_unix_ns", "peaks", "unavailable"}) {
    EXPECT_TRUE(report.contains(key)) << key;
  }
  EXPECT_EQ(report["quick"], true);
  EXPECT_GE(report["logical_cores"].get<int>(), 1);

  bool fp32_gemm = false;
  bool bandwidth = false;
  for (const auto& peak : report["peaks"]) {
    for (const char* key : {"id", "metric", "dtype", "value", "method", "details"}) {
      EXPECT_TRUE(peak.contains(key)) << key << " in " << peak.dump();
    }
    EXPECT_TRUE(PositiveFinite(peak["value"])) << peak.dump();
    EXPECT_FALSE(peak["method"].get<std::string>().empty());
    if (peak["metric"] == "gemm_flops_per_s" && peak["dtype"] == "fp32") fp32_gemm = true;
    if (peak["metric"] == "memory_bandwidth_bytes_per_s") {
      bandwidth = true;
      EXPECT_EQ(peak["dtype"], "");
      EXPECT_TRUE(PositiveFinite(peak["details"]["copy_bytes_per_s"])) << peak.dump();
      EXPECT_TRUE(PositiveFinite(peak["details"]["triad_bytes_per_s"])) << peak.dump();
    }
  }
  EXPECT_TRUE(fp32_gemm) << result.out;
  EXPECT_TRUE(bandwidth) << result.out;
  // BF16 is either measured or listed as unavailable with a reason, never silently absent.
  bool bf16_accounted = false;
  for (const auto& peak : report["peaks"]) bf16_accounted |= peak["dtype"] == "bf16";
  for (const auto& missing : report["unavailable"]) {
    if (missing["dtype"] == "bf16") {
      bf16_accounted = true;
      EXPECT_FALSE(missing["reason"].get<std::string>().empty());
    }
  }
  EXPECT_TRUE(bf16_accounted) << result.out;

  const auto check = RunProcess(Bin() + " db check --json --db " + ShellQuote(db));
  ASSERT_EQ(check.exit_code, 0) << check.err;
  const auto counts = nlohmann::json::parse(check.out);
  EXPECT_EQ(counts["schema_version"], counts["current_schema_version"]);
  EXPECT_EQ(counts["counts"]["hardware_peaks"], report["peaks"].size());
  EXPECT_GE(counts["counts"]["hardware_peaks"].get<int>(), 1);
}

TEST(ProbeCli, TextOutputSaysWhereTheFiguresWent) {
  testing::TempDir dir;
  const std::string db = dir.File("probe.db");
  const auto result = RunProcess(Bin() + " probe --quick --db " + ShellQuote(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("GFLOP/s"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("GB/s"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("hardware_peaks"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(db), std::string::npos) << result.out;
}

}  // namespace
}  // namespace infermeter
