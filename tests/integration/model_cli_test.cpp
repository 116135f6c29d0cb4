// `infermeter model ...` end to end: the JSON keys the issue asks for and the V4-Pro vs V3.2
// acceptance ranges (24-30% FLOPs, 9-12% KV at 1,048,576 tokens).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "process.h"

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
  const auto hardware = RunProcess(Bin() + " model hardware --json");
  ASSERT_EQ(hardware.exit_code, 0) << hardware.err;
  EXPECT_EQ(nlohmann::json::parse(hardware.out).size(), 9u);
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
