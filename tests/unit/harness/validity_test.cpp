#include "infermeter/harness/validity.h"

#include <gtest/gtest.h>

namespace infermeter::harness {
namespace {

RunSummary Healthy() {
  RunSummary s;
  s.requests_completed = 100;
  s.schedule_lag_ms.count = 100;
  s.schedule_lag_ms.p99 = 0.1;
  return s;
}

TEST(ValidityTest, AHealthyRunIsValid) {
  const auto verdict = JudgeRun(Healthy(), {}, false, 0);
  EXPECT_EQ(verdict.validity, results::Validity::kValid);
  EXPECT_TRUE(verdict.reasons.empty());
}

TEST(ValidityTest, EachCheckGivesItsOwnReasonWithTheFigures) {
  RunSummary s = Healthy();
  s.schedule_lag_ms.p99 = 12.5;
  s.requests_failed = 5;
  s.usage_mismatches = 2;
  s.output_shortfalls = 2;
  ValiditySettings settings;
  settings.min_completed_requests = 200;
  const auto verdict = JudgeRun(s, settings, true, 1);
  EXPECT_EQ(verdict.validity, results::Validity::kInvalid);
  ASSERT_EQ(verdict.reasons.size(), 6u);
  EXPECT_NE(verdict.reasons[0].find("interrupted"), std::string::npos);
  EXPECT_NE(verdict.reasons[1].find("100 requests completed; at least 200"), std::string::npos);
  EXPECT_NE(verdict.reasons[2].find("5 of 105 requests failed"), std::string::npos);
  EXPECT_NE(verdict.reasons[3].find("12.500 ms"), std::string::npos);
  EXPECT_NE(verdict.reasons[4].find("2 of 100"), std::string::npos);
  EXPECT_NE(verdict.reasons[5].find("never reported back"), std::string::npos);
}

TEST(ValidityTest, OutputLengthsOnlyCountWhenExactLengthsWereAsked) {
  RunSummary s = Healthy();
  s.usage_mismatches = 50;
  ValiditySettings settings;
  settings.exact_output_lengths = false;
  EXPECT_EQ(JudgeRun(s, settings, false, 0).validity, results::Validity::kValid);
}

}  // namespace
}  // namespace infermeter::harness
