#include "openai/transfer_outcome.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <string>

#include <fmt/format.h>

namespace infermeter::engines::openai {
namespace {

using Kind = AttemptOutcome::Kind;

AttemptOutcome Failed(std::string error_class, std::string message) {
  return {
      .kind = Kind::kFailed, .error_class = std::move(error_class), .message = std::move(message)};
}

std::string CurlText(const AttemptFacts& facts) {
  if (!facts.curl_error.empty()) return std::string(facts.curl_error);
  return curl_easy_strerror(static_cast<CURLcode>(facts.curl_code));
}

bool IsConnectFailure(const AttemptFacts& facts) {
  if (facts.response_started) return false;
  switch (static_cast<CURLcode>(facts.curl_code)) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return true;
    case CURLE_OPERATION_TIMEDOUT:
      return !facts.connected;  // the connect timeout
    default:
      return false;
  }
}

}  // namespace

std::int64_t ConnectBackoffMs(int attempt) {
  return std::min<std::int64_t>(std::int64_t{250} << std::clamp(attempt, 0, 5), 8'000);
}

std::optional<std::int64_t> ParseRetryAfterMs(std::string_view value, std::int64_t now_unix_s) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' ||
                            value.back() == '\n')) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return seconds * 1000;
  }
  const std::string date(value);
  const time_t when = curl_getdate(date.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  return std::max<std::int64_t>(0, (static_cast<std::int64_t>(when) - now_unix_s) * 1000);
}

AttemptOutcome DecideAttempt(const AttemptFacts& facts, const RetryBudget& budget) {
  const auto code = static_cast<CURLcode>(facts.curl_code);

  if (IsConnectFailure(facts)) {
    const bool timed_out = code == CURLE_OPERATION_TIMEDOUT;
    const std::string what =
        timed_out
            ? fmt::format("no connection to {} within {} ms", facts.url, facts.connect_timeout_ms)
            : fmt::format("cannot connect to {}: {}", facts.url, CurlText(facts));
    if (budget.connect_retries_left > 0) {
      return {.kind = Kind::kRetry,
              .message = what,
              .retry_delay_ms = ConnectBackoffMs(budget.connect_attempts_so_far),
              .connect_retry = true};
    }
    return Failed(
        timed_out ? "timeout" : "connect",
        budget.connect_attempts_so_far > 0
            ? fmt::format("{} (after {} attempts)", what, budget.connect_attempts_so_far + 1)
            : what);
  }

  if (facts.stream_failure_class) {
    return Failed(*facts.stream_failure_class, std::string(facts.stream_failure_message));
  }

  if (facts.http_status != 0 && facts.http_status / 100 != 2) {
    if (facts.http_status == 429 && facts.retry_after_ms &&
        *facts.retry_after_ms <= budget.max_retry_after_ms && budget.rate_limit_retries_left > 0) {
      return {.kind = Kind::kRetry,
              .message = fmt::format("{} answered 429 with Retry-After {} ms", facts.url,
                                     *facts.retry_after_ms),
              .retry_delay_ms = *facts.retry_after_ms};
    }
    return Failed(fmt::format("http_{}", facts.http_status),
                  fmt::format("{} answered HTTP {}: {}", facts.url, facts.http_status,
                              facts.body_excerpt.empty() ? "(empty body)" : facts.body_excerpt));
  }

  if (facts.http_status / 100 == 2 && !facts.streaming) {
    return Failed(
        "not_streamed",
        fmt::format("{} answered HTTP {} with Content-Type '{}' instead of an event "
                    "stream (does it support \"stream\": true?): {}",
                    facts.url, facts.http_status, facts.content_type, facts.body_excerpt));
  }

  if (code == CURLE_OK) return {.kind = Kind::kFinished};

  if (code == CURLE_OPERATION_TIMEDOUT) {
    const bool idle = facts.curl_error == "idle";
    return Failed("timeout",
                  idle ? fmt::format("{} sent nothing for {} ms", facts.url, facts.idle_timeout_ms)
                       : fmt::format("{} did not finish the request within {} ms", facts.url,
                                     facts.request_timeout_ms));
  }
  if (facts.response_started) {
    return Failed("stream_cut",
                  fmt::format("the stream from {} broke off: {}", facts.url, CurlText(facts)));
  }
  return Failed("transport", fmt::format("request to {} failed: {}", facts.url, CurlText(facts)));
}

}  // namespace infermeter::engines::openai
