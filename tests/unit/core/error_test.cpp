#include "infermeter/core/error.h"

#include <gtest/gtest.h>

#include "infermeter/core/log.h"

namespace infermeter {
namespace {

TEST(InputError, NamesFileLinePathAndField) {
  const InputError e(
      {.source = "trace.jsonl", .line = 12, .path = "$.hash_ids[3]", .field = "hash_ids"},
      "expected a non-negative integer, got -1");
  EXPECT_STREQ(e.what(),
               "trace.jsonl:12: $.hash_ids[3] field 'hash_ids': expected a non-negative integer, "
               "got -1");
  EXPECT_EQ(e.where().line, 12);
  EXPECT_EQ(e.problem(), "expected a non-negative integer, got -1");
}

TEST(InputError, LeavesOutMissingParts) {
  EXPECT_EQ(FormatLocation({.source = "config.json"}), "config.json");
  EXPECT_EQ(FormatLocation({.source = "x.csv", .line = 3}), "x.csv:3");
  EXPECT_EQ(FormatLocation({.source = "cli", .field = "--rate"}), "cli: field '--rate'");
  EXPECT_EQ(FormatLocation({.source = "t.jsonl", .line = 2, .field = "output_length"}),
            "t.jsonl:2: field 'output_length'");
}

TEST(Logging, UnknownLevelIsAnInputError) {
  EXPECT_THROW(ConfigureLogging("loud"), InputError);
  EXPECT_NO_THROW(ConfigureLogging("off"));
  EXPECT_NO_THROW(ConfigureLogging("debug"));  // configuring twice is fine
}

}  // namespace
}  // namespace infermeter
