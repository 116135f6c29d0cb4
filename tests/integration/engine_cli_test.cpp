// `infermeter engine generate|roofline` end to end on the `tiny` preset: JSON output, exact
// lengths, FLOPs by class, and clear errors for bad options and a database without peaks.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "process.h"
#include "temp_db.h"

namespace infermeter {
namespace {

using testing::RunProcess;
using testing::ShellQuote;

std::string Bin() { return ShellQuote(INFERMETER_BIN); }

TEST(EngineCli, GenerateJsonReportsTokensFlopsAndKv) {
  const auto result = RunProcess(
      Bin() +
      " engine generate --model tiny --prompt-tokens 40 --max-tokens 6 --ignore-eos --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  EXPECT_EQ(j["model"], "tiny");
  EXPECT_EQ(j["tokens"].size(), 6u);
  EXPECT_EQ(j["finish_reason"], "length");
  EXPECT_EQ(j["prompt_tokens"], 40);
  EXPECT_EQ(j["completion_tokens"], 6);
  for (const char* op :
       {"dense_gemm", "expert_gemm", "attention", "indexer", "compressor", "other"}) {
    EXPECT_GT(j["flops"][op].get<double>(), 0) << op;
  }
  EXPECT_GT(j["kv_peak_used_bytes"].get<double>(), 0);
}

TEST(EngineCli, TextPromptAndTableOutput) {
  const auto result =
      RunProcess(Bin() + " engine generate --model tiny --prompt 'hello there' --max-tokens 3");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("prompt 11 tokens"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("compressor"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("window"), std::string::npos) << result.out;
}

TEST(EngineCli, BadOptionsAreNamed) {
  auto result = RunProcess(Bin() + " engine generate --model tiny --kv-format flashmla-fp8");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("kv_format"), std::string::npos) << result.err;

  result = RunProcess(Bin() + " engine generate --model no-such-model");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("no-such-model"), std::string::npos) << result.err;

  result = RunProcess(Bin() + " engine generate --model tiny --weights /nonexistent.safetensors");
  EXPECT_EQ(result.exit_code, 2) << result.err;
}

TEST(EngineCli, RooflineNeedsMeasuredPeaksThenReportsFractions) {
  testing::TempDir dir;
  const std::string db = ShellQuote(dir.File("peaks.db"));
  // No database yet: the command says what to run first.
  auto result = RunProcess(Bin() + " engine roofline --model tiny --db " + db);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("infermeter probe"), std::string::npos) << result.err;

  ASSERT_EQ(RunProcess(Bin() + " probe --quick --db " + db).exit_code, 0);
  result = RunProcess(Bin() +
                      " engine roofline --model tiny --prompt-tokens 256 --decode-tokens 8 "
                      "--json --db " +
                      db);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  EXPECT_GT(j["prefill"]["fraction_of_peak"].get<double>(), 0);
  EXPECT_GT(j["prefill"]["flops"]["attention"].get<double>(), 0);
  EXPECT_GT(j["decode"]["fraction_of_bandwidth"].get<double>(), 0);
  EXPECT_GT(j["decode"]["weight_bytes_per_token"].get<double>(), 0);
}

}  // namespace
}  // namespace infermeter
