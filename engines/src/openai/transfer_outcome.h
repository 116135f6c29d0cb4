#pragma once
// What became of one HTTP attempt, decided from libcurl's result, the HTTP status and what the
// body said: finished, failed with a class and message, or to be retried after a delay. Kept
// apart from the I/O loop so every rule here is unit-tested without a network.
//
// The rules (issue: retries only for connect failures and 429 with Retry-After, never after the
// first byte of a response):
//   * no connection (refused, unreachable, name not resolved, connect timeout): "connect" or
//     "timeout", retried with exponential backoff while connect retries are left;
//   * 429 with a Retry-After the client may wait for: retried after it while retries are left;
//   * any other non-2xx status: "http_<status>" with an excerpt of the body;
//   * a 2xx response that is not an event stream: "not_streamed";
//   * a stream that failed (error event, malformed event, cut): the stream reader's class;
//   * a timeout once the response had started: "timeout"; any other transport failure after
//     the response started: "stream_cut"; before it: "transport".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace infermeter::engines::openai {

struct AttemptFacts {
  int curl_code = 0;              // CURLcode
  std::string_view curl_error;    // libcurl's error buffer ("" when none; "idle": cut for idling)
  long http_status = 0;           // 0 when no response arrived
  bool connected = false;         // a connection was made (or reused)
  bool response_started = false;  // status line received
  bool streaming = false;         // 2xx with Content-Type text/event-stream
  std::string_view content_type;
  std::string_view body_excerpt;                    // non-streaming body, first bytes
  std::optional<std::int64_t> retry_after_ms;       // parsed Retry-After of the response
  std::optional<std::string> stream_failure_class;  // the reader's failure, when it failed
  std::string_view stream_failure_message;
  std::string_view url;
  std::int64_t idle_timeout_ms = 0;
  std::int64_t request_timeout_ms = 0;
  std::int64_t connect_timeout_ms = 0;
};

struct RetryBudget {
  int connect_retries_left = 0;
  int rate_limit_retries_left = 0;
  int connect_attempts_so_far = 0;  // failed connects before this attempt (for the backoff)
  std::int64_t max_retry_after_ms = 0;
};

struct AttemptOutcome {
  enum class Kind { kFinished, kFailed, kRetry } kind = Kind::kFinished;
  std::string error_class;  // kFailed
  std::string message;      // kFailed: complete sentence; kRetry: why (for the log)
  std::int64_t retry_delay_ms = 0;
  bool connect_retry = false;  // kRetry: uses a connect retry (else a rate-limit retry)
};

AttemptOutcome DecideAttempt(const AttemptFacts& facts, const RetryBudget& budget);

// Retry-After as milliseconds from now: delay-seconds ("120") or an HTTP date; nullopt when it
// is neither. `now_unix_s` is the wall clock (for dates).
std::optional<std::int64_t> ParseRetryAfterMs(std::string_view value, std::int64_t now_unix_s);

// The backoff before connect retry `attempt` (0-based): 250 ms, 500 ms, 1 s, ... capped at 8 s.
std::int64_t ConnectBackoffMs(int attempt);

}  // namespace infermeter::engines::openai
