// `infermeter trace` end to end: the built binary on the real shared traces and on fixtures.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "process.h"

namespace infermeter {
namespace {

using testing::RunProcess;
using testing::ShellQuote;

std::string Bin() { return ShellQuote(INFERMETER_BIN); }
std::string Shared(const std::string& name) {
  const char* dir = std::getenv("INFERMETER_SHARED_DIR");
  return (std::filesystem::path(dir ? dir : "../shared") / "traces" / name).string();
}
std::string Fixture(const std::string& name) {
  return (std::filesystem::path(std::getenv("INFERMETER_SOURCE_DIR")) / "tests" / "data" /
          "workloads" / name)
      .string();
}

// Expected values computed with Python when the test was written (see
// tests/unit/workloads/real_traces_test.cpp for the script).
TEST(TraceCli, InspectJsonHasExactlyTheContractKeys) {
  const auto path = Shared("mooncake_conversation_trace.jsonl");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  const auto r = RunProcess(Bin() + " trace inspect --json " + ShellQuote(path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"duration_s", "format", "input_tokens", "output_tokens",
                                            "prefix_reuse_ratio", "requests", "sessions"}));
  EXPECT_EQ(j["format"], "mooncake");
  EXPECT_EQ(j["requests"], 12031);
  EXPECT_EQ(j["input_tokens"]["p99"], 85401);
  EXPECT_EQ(j["output_tokens"].size(), 6u);
  EXPECT_NEAR(j["prefix_reuse_ratio"].get<double>(), 0.373379905854133, 1e-12);
}

TEST(TraceCli, ConvertThenInspectGivesTheSameStatistics) {
  const auto path = Shared("AzureLLMInferenceTrace_conv_2023.csv");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  const auto out =
      (std::filesystem::temp_directory_path() / "infermeter_trace_cli_azure.jsonl").string();
  const auto c = RunProcess(Bin() + " trace convert " + ShellQuote(path) +
                            " --to infermeter-jsonl -o " + ShellQuote(out));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto a =
      nlohmann::json::parse(RunProcess(Bin() + " trace inspect --json " + ShellQuote(path)).out);
  auto b =
      nlohmann::json::parse(RunProcess(Bin() + " trace inspect --json " + ShellQuote(out)).out);
  EXPECT_EQ(b["format"], "infermeter-jsonl");
  b["format"] = a["format"];
  EXPECT_EQ(a, b);
  EXPECT_EQ(a["requests"], 19366);
  std::filesystem::remove(out);
}

TEST(TraceCli, BadRecordFailsWithLocationOrIsSkipped) {
  const auto fail =
      RunProcess(Bin() + " trace inspect " + ShellQuote(Fixture("mooncake_missing_field.jsonl")));
  EXPECT_EQ(fail.exit_code, 1);
  EXPECT_NE(fail.err.find("mooncake_missing_field.jsonl:2: field 'output_length': missing"),
            std::string::npos)
      << fail.err;
  const auto skip = RunProcess(Bin() + " trace inspect --on-bad-record=skip " +
                               ShellQuote(Fixture("mooncake_missing_field.jsonl")));
  EXPECT_EQ(skip.exit_code, 0) << skip.err;
  EXPECT_NE(skip.out.find("skipped records    1"), std::string::npos) << skip.out;
  EXPECT_NE(skip.err.find("skipped 1 bad records"), std::string::npos) << skip.err;
}

TEST(TraceCli, InspectingADirectoryOrMissingFileSaysWhich) {
  const std::string dir = std::filesystem::temp_directory_path().string();
  const auto directory = RunProcess(Bin() + " trace inspect " + ShellQuote(dir));
  EXPECT_EQ(directory.exit_code, 1);
  EXPECT_NE(directory.err.find("is a directory"), std::string::npos) << directory.err;
  const auto missing = RunProcess(Bin() + " trace inspect /nonexistent/trace.jsonl");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("cannot open for reading"), std::string::npos) << missing.err;
}

TEST(TraceCli, GenerateIsDeterministic) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto a = (dir / "infermeter_gen_a.jsonl").string();
  const auto b = (dir / "infermeter_gen_b.jsonl").string();
  const std::string args =
      " trace generate agentic --sessions 5 --turns 4 --parallel-probability 0.5 --seed 3 -o ";
  ASSERT_EQ(RunProcess(Bin() + args + ShellQuote(a)).exit_code, 0);
  ASSERT_EQ(RunProcess(Bin() + args + ShellQuote(b)).exit_code, 0);
  EXPECT_EQ(RunProcess("cmp " + ShellQuote(a) + " " + ShellQuote(b)).exit_code, 0);
  const auto bad =
      RunProcess(Bin() + " trace generate synthetic --input-tokens zipf:2 -o " + ShellQuote(a));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("field '--input-tokens'"), std::string::npos) << bad.err;
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}

}  // namespace
}  // namespace infermeter
