#pragma once
// One HTTP GET at a time through libcurl, with a connect timeout, a total timeout, a bound on the
// body and a cancel flag checked every few milliseconds, so a scraper thread blocked on a server
// that accepts but never answers can still be stopped at once. The handle is kept between calls
// so a server that keeps connections alive is not reconnected on every scrape.
//
// Failures are values (the scraper counts them), not exceptions: only running out of memory
// throws.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace infermeter::collectors {

struct HttpGetOptions {
  std::int64_t connect_timeout_ms = 1000;
  std::int64_t timeout_ms = 2000;             // the whole transfer, connect included
  std::size_t max_body_bytes = 32u << 20;     // the Prometheus parser's own bound
  const std::atomic<bool>* cancel = nullptr;  // set: the transfer stops within ~20 ms
};

struct HttpGetResult {
  bool ok = false;    // a complete 2xx answer
  long status = 0;    // HTTP status; 0 when none came
  std::string body;   // as received (also for a non-2xx answer)
  std::string error;  // why not ok, for "cannot scrape <url>: <error>": "connection refused"
  bool cancelled = false;
  std::int64_t duration_ns = 0;
};

class HttpGetter {
 public:
  HttpGetter();  // throws Error when libcurl cannot be initialised
  ~HttpGetter();
  HttpGetter(const HttpGetter&) = delete;
  HttpGetter& operator=(const HttpGetter&) = delete;

  // Not thread-safe: one getter per thread.
  HttpGetResult Get(const std::string& url, const HttpGetOptions& options);

 private:
  struct Handles;
  std::unique_ptr<Handles> handles_;
};

}  // namespace infermeter::collectors
