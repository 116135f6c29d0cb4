// "Export table" CSV as RFC 4180 has it: fields quoted only when they must be, quotes doubled,
// CRLF line ends.

#include "infermeter/dashboard/csv.h"

#include <gtest/gtest.h>

namespace infermeter::dashboard {
namespace {

TEST(CsvTest, QuotesOnlyWhatMustBeQuoted) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("1,234.5"), "\"1,234.5\"");
  EXPECT_EQ(CsvField("8x \"H100\""), "\"8x \"\"H100\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(CsvField("\""), "\"\"\"\"");
  EXPECT_EQ(CsvField(" spaces stay "), " spaces stay ");
}

TEST(CsvTest, LinesEndWithCrLf) {
  EXPECT_EQ(CsvLine({"run", "TTFT p99 (ms)", "note"}), "run,TTFT p99 (ms),note\r\n");
  EXPECT_EQ(CsvLine({"a,b", "", "say \"hi\""}), "\"a,b\",,\"say \"\"hi\"\"\"\r\n");
  EXPECT_EQ(CsvLine({}), "\r\n");
  EXPECT_EQ(CsvLine({""}), "\r\n");
}

}  // namespace
}  // namespace infermeter::dashboard
