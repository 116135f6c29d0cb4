#include "openai/curl_transfer.h"

#include <algorithm>
#include <mutex>
#include <string_view>

#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"

namespace infermeter::engines::openai {
namespace {

// The most bytes of a non-stream body kept for an error message.
constexpr std::size_t kExcerptBytes = 1024;

std::int64_t SecondsSinceEpoch() { return WallNs() / 1'000'000'000; }

}  // namespace

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw Error("libcurl could not be initialised (curl_global_init failed)");
    }
  });
}

curl_slist* CommonHeaders(const OpenAiEngineOptions& options) {
  curl_slist* list = nullptr;
  list = curl_slist_append(list, "Content-Type: application/json");
  list = curl_slist_append(list, "Accept: text/event-stream");
  list = curl_slist_append(list, "Expect:");
  if (!options.api_key.empty()) {
    const std::string line = "Authorization: Bearer " + options.api_key;
    list = curl_slist_append(list, line.c_str());
  }
  for (const std::string& header : options.extra_headers) {
    list = curl_slist_append(list, header.c_str());
  }
  return list;
}

Transfer::~Transfer() {
  if (easy != nullptr) curl_easy_cleanup(easy);
}

bool Transfer::PrepareAttempt() {
  status = 0;
  status_known = false;
  streaming = false;
  content_type.clear();
  excerpt.clear();
  error_buffer[0] = '\0';
  last_byte_ns = 0;
  idle_cut = false;
  reader =
      std::make_unique<StreamReader>(request.id, *sink, shared->options->api == OpenAiApi::kChat);
  if (easy != nullptr) return true;

  easy = curl_easy_init();
  if (easy == nullptr) return false;
  const OpenAiEngineOptions& options = *shared->options;
  curl_easy_setopt(easy, CURLOPT_URL, shared->url.c_str());
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_slist* headers = shared->headers;
  if (!request.session_id.empty() && !options.session_header.empty()) {
    session_line = options.session_header + ": " + request.session_id;
    session_node.data = session_line.data();
    session_node.next = shared->headers;
    headers = &session_node;
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, this);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_ms));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.request_timeout_ms));
  // The idle timeout is the engine's own (IdleSince): libcurl's low-speed check averages over
  // several seconds and would cut an idle stream up to 6 s late.
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION,
                   options.http2 ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : CURL_HTTP_VERSION_1_1);
  return true;
}

void Transfer::ReadStatus() {
  status_known = true;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  const char* type = nullptr;
  curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &type);
  content_type = type != nullptr ? type : "";
  std::string lower = content_type;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  streaming = status / 100 == 2 && lower.starts_with("text/event-stream");
}

std::size_t Transfer::OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  Transfer& transfer = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  transfer.last_byte_ns = MonotonicNs();
  if (!transfer.status_known) transfer.ReadStatus();
  if (!transfer.streaming) {
    const std::size_t room = kExcerptBytes - std::min(kExcerptBytes, transfer.excerpt.size());
    transfer.excerpt.append(data, std::min(room, bytes));
    return bytes;
  }
  // Returning less than `bytes` makes libcurl abort the transfer (CURLE_WRITE_ERROR).
  return transfer.reader->Feed(std::string_view(data, bytes), transfer.last_byte_ns) ? bytes : 0;
}

std::size_t Transfer::OnHeader(char* /*data*/, std::size_t size, std::size_t count, void* user) {
  static_cast<Transfer*>(user)->last_byte_ns = MonotonicNs();
  return size * count;
}

AttemptOutcome Transfer::Decide(CURLcode code) {
  if (!status_known) {
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (status != 0) ReadStatus();
  }
  // PRETRANSFER is set once a connection (new or reused) was ready to send on.
  curl_off_t pretransfer_us = 0;
  curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
  std::optional<std::int64_t> retry_after;
  if (status == 429) {
    curl_header* header = nullptr;
    if (curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &header) == CURLHE_OK) {
      retry_after = ParseRetryAfterMs(header->value, SecondsSinceEpoch());
    }
  }
  std::optional<StreamFailure> failure;
  if (streaming) {
    // A write error is the reader refusing more bytes; any other end is the end of the body.
    failure = code == CURLE_OK ? reader->Finish() : reader->failure();
  }
  const OpenAiEngineOptions& options = *shared->options;
  AttemptFacts facts{
      .curl_code = static_cast<int>(code),
      .curl_error = idle_cut ? std::string_view("idle") : std::string_view(error_buffer),
      .http_status = status,
      .connected = pretransfer_us > 0 || status != 0,
      .response_started = status != 0,
      .streaming = streaming,
      .content_type = content_type,
      .body_excerpt = excerpt,
      .retry_after_ms = retry_after,
      .stream_failure_class =
          failure ? std::optional<std::string>(failure->error_class) : std::nullopt,
      .stream_failure_message = failure ? std::string_view(failure->message) : std::string_view(),
      .url = shared->url,
      .idle_timeout_ms = options.idle_timeout_ms,
      .request_timeout_ms = options.request_timeout_ms,
      .connect_timeout_ms = options.connect_timeout_ms,
  };
  const RetryBudget budget{
      .connect_retries_left = options.connect_retries - connect_failures,
      .rate_limit_retries_left = options.rate_limit_retries - rate_limit_retries,
      .connect_attempts_so_far = connect_failures,
      .max_retry_after_ms = options.max_retry_after_ms,
  };
  return DecideAttempt(facts, budget);
}

void Transfer::FillTimes(EngineFinish& finish) const {
  if (easy == nullptr) return;
  curl_off_t connect_us = 0;
  curl_off_t pretransfer_us = 0;
  curl_off_t first_byte_us = 0;
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_us);
  curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
  curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &first_byte_us);
  // A reused connection (connect time 0) was ready when the attempt started.
  if (pretransfer_us > 0) {
    finish.connected_ns = attempt_started_ns + static_cast<std::int64_t>(connect_us) * 1000;
  }
  if (first_byte_us > 0) {
    finish.first_byte_ns = attempt_started_ns + static_cast<std::int64_t>(first_byte_us) * 1000;
  }
}

}  // namespace infermeter::engines::openai
