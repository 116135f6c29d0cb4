// `infermeter model ...` end to end: the JSON keys the issue asks for and the V4-Pro vs V3.2
// acceptance ranges (24-30% FLOPs, 9-12% KV at 1,048,576 tokens).

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "infermeter/results/store.h"
#include "process.h"
#include "temp_db.h"

namespace infermeter {
namespace {

using testing::RunProcess;
using testing::ShellQuote;

std::string Bin() { return ShellQuote(INFERMETER_BIN); }

TEST(ModelCli, ShowJsonHasTheCostKeys) {
  const auto result = RunProcess(Bin() + " model show v4-mini --context 8192 --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  for (const char* key : {"params_total", "params_active", "decode_flops_per_token",
                          "kv_bytes_per_token", "kv_bytes_per_sequence"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["context_tokens"], 8192);
  EXPECT_GT(j["decode_flops_per_token"].get<double>(), 0);
}

TEST(ModelCli, CompareV4ProWithV32AtOneMillionTokens) {
  const auto result =
      RunProcess(Bin() + " model compare deepseek-v3.2 deepseek-v4-pro --context 1048576 --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  for (const char* side : {"a", "b"}) {
    for (const char* key : {"params_total", "params_active", "decode_flops_per_token",
                            "kv_bytes_per_token", "kv_bytes_per_sequence"}) {
      EXPECT_TRUE(j[side].contains(key)) << side << "." << key;
    }
  }
  const double flops = j["flops_ratio"].get<double>();
  const double kv = j["kv_ratio"].get<double>();
  EXPECT_GE(flops, 0.24);
  EXPECT_LE(flops, 0.30);
  EXPECT_GE(kv, 0.09);
  EXPECT_LE(kv, 0.12);
  EXPECT_DOUBLE_EQ(flops, j["b"]["decode_flops_per_token"].get<double>() /
                              j["a"]["decode_flops_per_token"].get<double>());
}

TEST(ModelCli, TableListAndHardware) {
  const auto table = RunProcess(Bin() + " model compare v3.2 v4-flash --context 131072");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("decode FLOPs/token"), std::string::npos) << table.out;
  const auto list = RunProcess(Bin() + " model list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  for (const char* name : {"deepseek-v4-pro", "tiny", "v4-mini", "v3-mini", "v3.2-mini",
                           "llama-mini", "qwen3-235b-a22b"}) {
    EXPECT_NE(list.out.find(name), std::string::npos) << name;
  }
  const auto hardware = RunProcess(Bin() + " model hardware --json --db /nonexistent/no.db");
  ASSERT_EQ(hardware.exit_code, 0) << hardware.err;
  EXPECT_EQ(nlohmann::json::parse(hardware.out).size(), 9u);  // the published devices only
}

// The catalog gains this host once `infermeter probe` measured it in the database.
TEST(ModelCli, HardwareListsTheProbedHost) {
  testing::TempDir dir;
  const std::string db = dir.File("peaks.db");
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  {
    auto store = results::ResultsStore::OpenForWriting(db);
    store.RecordHardwarePeak({.measured_unix_ns = 1,
                              .host = host,
                              .metric = "gemm_flops_per_s",
                              .dtype = "bf16",
                              .value = 4.5e11,
                              .method = "test"});
    store.RecordHardwarePeak({.measured_unix_ns = 1,
                              .host = host,
                              .metric = "memory_bandwidth_bytes_per_s",
                              .value = 5e10,
                              .method = "test"});
  }
  const auto result = RunProcess(Bin() + " model hardware --json --db " + ShellQuote(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto all = nlohmann::json::parse(result.out);
  ASSERT_EQ(all.size(), 10u);
  const auto& measured = all.back();
  EXPECT_EQ(measured["name"], "host");
  EXPECT_EQ(measured["origin"], "measured");
  EXPECT_EQ(measured["bf16_dense_flops_per_s"], 4.5e11);
  EXPECT_EQ(measured["memory_bandwidth_bytes_per_s"], 5e10);
  EXPECT_GT(measured["memory_bytes"].get<double>(), 0);

  const auto table = RunProcess(Bin() + " model hardware --db " + ShellQuote(dir.File("x.db")));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("run `infermeter probe`"), std::string::npos) << table.out;
}

TEST(ModelCli, BadInputIsAnErrorWithExitCode1) {
  const auto unknown = RunProcess(Bin() + " model show no-such-model");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no-such-model"), std::string::npos) << unknown.err;
  const auto format = RunProcess(Bin() + " model show v3 --kv-format v4-fp8");
  EXPECT_EQ(format.exit_code, 1);
  EXPECT_NE(format.err.find("v4-fp8"), std::string::npos) << format.err;
}

}  // namespace
}  // namespace infermeter
