// AppendJsonString writes literals that a JSON reader reads back to the same bytes.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "infermeter/core/json_text.h"

namespace infermeter {
namespace {

TEST(JsonTextTest, EveryByteRoundTripsThroughAJsonReader) {
  std::string all;
  for (int c = 1; c < 0x80; ++c) all += static_cast<char>(c);
  all += "héllo ✓";
  const std::string literal = JsonString(all);
  EXPECT_EQ(nlohmann::json::parse(literal).get<std::string>(), all);
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
  std::string out = "x";
  AppendJsonString(out, "");
  EXPECT_EQ(out, "x\"\"");
}

}  // namespace
}  // namespace infermeter
