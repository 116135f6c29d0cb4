// Every malformed record names the file, the line (or JSON path) and the field, and says what
// was expected; --on-bad-record=skip counts it instead. Fixtures: tests/data/workloads/.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "infermeter/workloads/import.h"
#include "test_paths.h"

namespace infermeter::workloads {
namespace {

using testing::Fixture;

struct BadCase {
  const char* file;
  const char* format;  // "" = detect
  // Parts the message must contain, besides the file name.
  const char* where;  // ":2" (line) or a JSON path
  const char* field;  // "" when the problem is the whole record
  const char* expected;
  std::int64_t good_records;  // records read when the bad one is skipped
};

class BadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInput, FailNamesFileLineFieldAndExpectation) {
  const BadCase& c = GetParam();
  const std::string path = Fixture(c.file);
  ImportOptions options;
  options.format = c.format;
  try {
    ImportTraceFile(path, options);
    FAIL() << "no error for " << c.file;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(c.where), std::string::npos) << message;
    if (*c.field) {
      EXPECT_NE(message.find(fmt::format("field '{}'", c.field)), std::string::npos) << message;
    }
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
  }
}

TEST_P(BadInput, SkipCountsTheBadRecord) {
  const BadCase& c = GetParam();
  if (c.good_records < 0) GTEST_SKIP() << "a file-level error cannot be skipped";
  ImportOptions options;
  options.format = c.format;
  options.on_bad_record = OnBadRecord::kSkip;
  const ImportResult result = ImportTraceFile(Fixture(c.file), options);
  EXPECT_EQ(result.records_skipped, 1);
  EXPECT_EQ(result.records_read, c.good_records);
  ASSERT_EQ(result.skipped_examples.size(), 1u);
  EXPECT_NE(result.skipped_examples[0].find(c.expected), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Workloads, BadInput,
    ::testing::Values(
        BadCase{"mooncake_missing_field.jsonl", "", ":2", "output_length", "missing", 2},
        BadCase{"mooncake_negative_length.jsonl", "", ":2", "input_length",
                "expected a non-negative integer, found '-7", 1},
        BadCase{"mooncake_too_many_blocks.jsonl", "", ":1", "hash_ids",
                "2 blocks of 512 tokens need input_length > 512, but input_length is 512", 0},
        BadCase{"mooncake_not_json.jsonl", "mooncake", ":2", "", "expected a JSON object '{'", 1},
        BadCase{"mooncake_duplicate_key.jsonl", "", ":1", "input_length", "appears twice", 0},
        BadCase{"mooncake_bad_hash_id.jsonl", "", ":1", "hash_ids",
                "expected a non-negative integer, found '\"x\"", 0},
        BadCase{"mooncake_exponent_timestamp.jsonl", "", ":1", "timestamp",
                "expected a plain decimal number", 0},
        BadCase{"mooncake_trailing_text.jsonl", "", ":1", "", "unexpected text after the object",
                0},
        BadCase{"azure_missing_column.csv", "", ":1", "GeneratedTokens", "missing column", -1},
        BadCase{"azure_bad_timestamp.csv", "", ":3", "TIMESTAMP",
                "expected 'YYYY-MM-DD HH:MM:SS[.fraction][zone]', found '2023-11-16 25:15", 2},
        BadCase{"azure_bad_tokens.csv", "", ":3", "ContextTokens",
                "expected a non-negative integer, found '3.5'", 1},
        BadCase{"azure_wrong_field_count.csv", "", ":2", "",
                "expected 3 fields as in the header, "
                "found 4",
                0},
        BadCase{"burstgpt_bad_total.csv", "", ":2", "Total tokens",
                "expected Request tokens + Response tokens = 490, found 491", 0},
        BadCase{"sharegpt_bad_role.json", "", "$[1].conversations[1]", "from",
                "expected human, user, gpt", 1},
        BadCase{"sharegpt_no_answer.json", "", "$[0]", "", "has no model answer", 0},
        BadCase{"sharegpt_not_json.json", "", ":3", "", "not valid JSON", -1},
        BadCase{"sharegpt_value_not_string.json", "", "$[0].conversations[0]", "value",
                "expected a string, found a number", 0},
        BadCase{"trajectories_bad_exec_time.json", "", "$[0].traj[2]", "execution_time_seconds",
                "expected a non-negative number of seconds, found \"fast\"", 0},
        BadCase{"trajectories_bad_tool_calls.json", "", "$[0].traj[1].tool_calls[0].function", "",
                "expected a tool call with a 'function' object", 0},
        BadCase{"infermeter_bad_turn.jsonl", "", ":3", "turn",
                "expected turn 1 of session 'a' (turns are listed in order), found 2", 1},
        BadCase{"infermeter_bad_version.jsonl", "", ":1", "infermeter_trace",
                "version 7 is not supported", -1},
        BadCase{"infermeter_bad_after_turns.jsonl", "", ":3", "after_turns",
                "expected earlier turns (< 1) in increasing order", 1},
        BadCase{"infermeter_bad_tokens.jsonl", "", ":2", "input_tokens",
                "expected an integer, found \"six\"", 0},
        BadCase{"unknown_format.txt", "", ":1", "", "cannot tell the trace format", -1}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string name = info.param.file;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

TEST(BadInput, UnknownFormatNameIsAnError) {
  ImportOptions options;
  options.format = "parquet";
  EXPECT_THROW(ImportTraceFile(Fixture("burstgpt_sample.csv"), options), InputError);
}

TEST(BadInput, MissingFileIsAnError) {
  EXPECT_THROW(ImportTraceFile(Fixture("does_not_exist.jsonl"), {}), Error);
}

}  // namespace
}  // namespace infermeter::workloads
