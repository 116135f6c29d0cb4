// The retry and error-class rules, one case each, without a network.

#include <curl/curl.h>
#include <gtest/gtest.h>

#include "openai/transfer_outcome.h"

namespace infermeter::engines::openai {
namespace {

using Kind = AttemptOutcome::Kind;

AttemptFacts Facts(CURLcode code, long status = 0) {
  return {.curl_code = static_cast<int>(code),
          .http_status = status,
          .response_started = status != 0,
          .url = "http://h/v1/completions",
          .idle_timeout_ms = 5000,
          .request_timeout_ms = 60000,
          .connect_timeout_ms = 1000};
}

const RetryBudget kBudget{.connect_retries_left = 2,
                          .rate_limit_retries_left = 1,
                          .connect_attempts_so_far = 1,
                          .max_retry_after_ms = 10'000};

TEST(TransferOutcomeTest, RefusedConnectionsAreRetriedWithBackoffThenFail) {
  const AttemptOutcome retry = DecideAttempt(Facts(CURLE_COULDNT_CONNECT), kBudget);
  EXPECT_EQ(retry.kind, Kind::kRetry);
  EXPECT_TRUE(retry.connect_retry);
  EXPECT_EQ(retry.retry_delay_ms, 500);
  const AttemptOutcome failed = DecideAttempt(
      Facts(CURLE_COULDNT_CONNECT), {.connect_retries_left = 0, .connect_attempts_so_far = 3});
  EXPECT_EQ(failed.kind, Kind::kFailed);
  EXPECT_EQ(failed.error_class, "connect");
  EXPECT_NE(failed.message.find("after 4 attempts"), std::string::npos);
}

TEST(TransferOutcomeTest, ConnectTimeoutIsATimeoutButARequestTimeoutIsNeverRetried) {
  AttemptFacts connect = Facts(CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(DecideAttempt(connect, {}).error_class, "timeout");
  EXPECT_NE(DecideAttempt(connect, {}).message.find("no connection"), std::string::npos);
  AttemptFacts sent = Facts(CURLE_OPERATION_TIMEDOUT);
  sent.connected = true;
  const AttemptOutcome outcome = DecideAttempt(sent, kBudget);
  EXPECT_EQ(outcome.kind, Kind::kFailed);
  EXPECT_EQ(outcome.error_class, "timeout");
  EXPECT_NE(outcome.message.find("within 60000 ms"), std::string::npos);
}

TEST(TransferOutcomeTest, IdleStreamsTimeOutWithTheIdleLimitInTheMessage) {
  AttemptFacts facts = Facts(CURLE_OPERATION_TIMEDOUT, 200);
  facts.streaming = true;
  facts.curl_error = "idle";
  const AttemptOutcome outcome = DecideAttempt(facts, kBudget);
  EXPECT_EQ(outcome.error_class, "timeout");
  EXPECT_NE(outcome.message.find("sent nothing for 5000 ms"), std::string::npos);
}

TEST(TransferOutcomeTest, Only429WithAnAcceptableRetryAfterIsRetried) {
  AttemptFacts facts = Facts(CURLE_OK, 429);
  facts.retry_after_ms = 2000;
  EXPECT_EQ(DecideAttempt(facts, kBudget).kind, Kind::kRetry);
  EXPECT_EQ(DecideAttempt(facts, kBudget).retry_delay_ms, 2000);
  facts.retry_after_ms = 20'000;  // longer than the client waits
  EXPECT_EQ(DecideAttempt(facts, kBudget).error_class, "http_429");
  facts.retry_after_ms.reset();
  EXPECT_EQ(DecideAttempt(facts, kBudget).error_class, "http_429");
  AttemptFacts unavailable = Facts(CURLE_OK, 503);
  unavailable.retry_after_ms = 1000;
  unavailable.body_excerpt = "overloaded";
  const AttemptOutcome outcome = DecideAttempt(unavailable, kBudget);
  EXPECT_EQ(outcome.kind, Kind::kFailed);
  EXPECT_EQ(outcome.error_class, "http_503");
  EXPECT_NE(outcome.message.find("overloaded"), std::string::npos);
}

TEST(TransferOutcomeTest, StreamFailuresAndBrokenStreamsAreNeverRetried) {
  AttemptFacts facts = Facts(CURLE_WRITE_ERROR, 200);
  facts.streaming = true;
  facts.stream_failure_class = "server_error_event";
  facts.stream_failure_message = "boom";
  EXPECT_EQ(DecideAttempt(facts, kBudget).error_class, "server_error_event");
  AttemptFacts broken = Facts(CURLE_RECV_ERROR, 200);
  broken.streaming = true;
  EXPECT_EQ(DecideAttempt(broken, kBudget).error_class, "stream_cut");
  EXPECT_EQ(DecideAttempt(Facts(CURLE_GOT_NOTHING), kBudget).error_class, "transport");
  AttemptFacts json = Facts(CURLE_OK, 200);
  json.content_type = "application/json";
  EXPECT_EQ(DecideAttempt(json, kBudget).error_class, "not_streamed");
}

TEST(TransferOutcomeTest, RetryAfterReadsSecondsAndHttpDates) {
  EXPECT_EQ(ParseRetryAfterMs(" 3 ", 0), 3000);
  EXPECT_EQ(ParseRetryAfterMs("Wed, 21 Oct 2015 07:28:10 GMT", 1445412480), 10'000);
  EXPECT_EQ(ParseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0);  // past
  EXPECT_FALSE(ParseRetryAfterMs("soon", 0));
  EXPECT_FALSE(ParseRetryAfterMs("-1", 0));
  EXPECT_FALSE(ParseRetryAfterMs("", 0));
  EXPECT_EQ(ConnectBackoffMs(0), 250);
  EXPECT_EQ(ConnectBackoffMs(10), 8000);
}

}  // namespace
}  // namespace infermeter::engines::openai
