#include "http_get.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

// curl_global_init is not thread-safe and must run before any other libcurl call; libcurl
// reference-counts it, so the OpenAI client in engines/ calling it once in its own module too is
// fine. It is never undone: other modules may still hold handles at exit.
void InitCurlOnce() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    throw Error(fmt::format("libcurl cannot be initialised: {}", curl_easy_strerror(result)));
  }
}

// How often a waiting transfer looks at the cancel flag.
constexpr int kPollMs = 20;

struct BodySink {
  std::string* body;
  std::size_t max_bytes;
  bool too_large = false;
};

std::size_t WriteBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const std::size_t bytes = size * count;
  if (sink->body->size() + bytes > sink->max_bytes) {
    sink->too_large = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  try {
    sink->body->append(data, bytes);
  } catch (...) {  // no exception may cross libcurl's C frames
    return 0;
  }
  return bytes;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// What went wrong, in the words a user reads after "cannot scrape <url>: ".
std::string Describe(CURLcode code, CURL* easy, const char* detail, const HttpGetOptions& options) {
  long os_errno = 0;
  curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      // libcurl's own text ("Failed to connect to ... : Couldn't connect to server") hides the
      // one word that matters; the socket's errno has it ("Connection refused").
      if (os_errno != 0) return Lower(std::strerror(static_cast<int>(os_errno)));
      break;
    case CURLE_OPERATION_TIMEDOUT:
      return fmt::format("no complete answer within {} ms (connect timeout {} ms)",
                         options.timeout_ms, options.connect_timeout_ms);
    default:
      break;
  }
  if (detail != nullptr && detail[0] != '\0') return detail;
  return curl_easy_strerror(code);
}

}  // namespace

struct HttpGetter::Handles {
  CURL* easy = nullptr;
  CURLM* multi = nullptr;
  ~Handles() {
    if (multi != nullptr) curl_multi_cleanup(multi);
    if (easy != nullptr) curl_easy_cleanup(easy);
  }
};

HttpGetter::HttpGetter() : handles_(std::make_unique<Handles>()) {
  InitCurlOnce();
  handles_->easy = curl_easy_init();
  handles_->multi = curl_multi_init();
  if (handles_->easy == nullptr || handles_->multi == nullptr) {
    throw Error("libcurl cannot create a transfer handle");
  }
}

HttpGetter::~HttpGetter() = default;

HttpGetResult HttpGetter::Get(const std::string& url, const HttpGetOptions& options) {
  HttpGetResult result;
  const std::int64_t begin_ns = MonotonicNs();
  CURL* easy = handles_->easy;
  // Reset keeps the connection cache, so a keep-alive server is not reconnected every scrape.
  curl_easy_reset(easy);
  char detail[CURL_ERROR_SIZE] = {};
  BodySink sink{.body = &result.body, .max_bytes = options.max_body_bytes};
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we are threaded
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<std::int64_t>(options.connect_timeout_ms, 1)));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<std::int64_t>(options.timeout_ms, 1)));
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "infermeter");
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85: the string form; the bitmask form is deprecated
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif

  // The multi interface only so that waiting can be cut short by `cancel`: one transfer, polled
  // every kPollMs.
  CURLM* multi = handles_->multi;
  curl_multi_add_handle(multi, easy);
  CURLcode code = CURLE_OK;
  bool done = false;
  while (!done) {
    int running = 0;
    const CURLMcode mc = curl_multi_perform(multi, &running);
    if (mc != CURLM_OK) {
      result.error = curl_multi_strerror(mc);
      break;
    }
    if (running == 0) {
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) code = msg->data.result;
      }
      done = true;
      break;
    }
    if (options.cancel != nullptr && options.cancel->load()) {
      result.cancelled = true;
      result.error = "cancelled";
      break;
    }
    curl_multi_poll(multi, nullptr, 0, kPollMs, nullptr);
  }
  curl_multi_remove_handle(multi, easy);
  result.duration_ns = MonotonicNs() - begin_ns;
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  // The handle outlives this call; it must not keep pointers into this frame.
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, nullptr);
  if (!done) return result;

  if (code != CURLE_OK) {
    result.error = sink.too_large ? fmt::format("body larger than {} bytes", options.max_body_bytes)
                                  : Describe(code, easy, detail, options);
    return result;
  }
  result.status = status;
  if (result.status < 200 || result.status > 299) {
    result.error = fmt::format("HTTP {}", result.status);
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace infermeter::collectors
