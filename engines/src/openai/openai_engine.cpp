// The OpenAI-compatible client engine: Submit prepares the request body on the caller's thread
// and hands it to one I/O thread, which runs every transfer through a libcurl multi handle and
// feeds each response's bytes to its StreamReader as they arrive (so a chunk's time is taken in
// the callback that delivers it, not after a batch). Everything that touches a CURL handle runs on
// the I/O thread; other threads talk to it through `inbox_` and curl_multi_wakeup.

#include "infermeter/engines/openai_engine.h"

#include <curl/curl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "openai/chat_history.h"
#include "openai/curl_transfer.h"
#include "openai/prompt_text.h"
#include "openai/request_body.h"
#include "openai/transfer_outcome.h"

namespace infermeter::engines {
namespace {

using openai::Transfer;

// How often the I/O thread looks for idle streams (and the longest it sleeps).
constexpr int kIdleCheckMs = 100;

// Thousands of concurrent streams need thousands of sockets; the soft limit is often 1024.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::string EndpointUrl(std::string base, OpenAiApi api) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.ends_with("/v1")) base.resize(base.size() - 3);
  return base + (api == OpenAiApi::kChat ? "/v1/chat/completions" : "/v1/completions");
}

void CheckOptions(const OpenAiEngineOptions& options) {
  const InputLocation url_field{.source = "<command line>", .field = "--url"};
  if (!options.base_url.starts_with("http://") && !options.base_url.starts_with("https://")) {
    throw InputError(url_field, fmt::format("expected http://HOST:PORT or https://HOST:PORT, got "
                                            "'{}'",
                                            options.base_url));
  }
  if (options.model.empty()) {
    throw InputError({.source = "<command line>", .field = "--model"},
                     "the openai engine needs the served model name (what the server's "
                     "/v1/models lists)");
  }
  const auto positive = [](std::int64_t value, const char* field) {
    if (value <= 0) {
      throw InputError({.source = "<command line>", .field = field},
                       fmt::format("expected a positive number of milliseconds, got {}", value));
    }
  };
  positive(options.connect_timeout_ms, "--connect-timeout-ms");
  positive(options.request_timeout_ms, "--request-timeout-ms");
  positive(options.idle_timeout_ms, "--idle-timeout-ms");
  for (const std::string& header : options.extra_headers) {
    if (header.find(':') == std::string::npos ||
        header.find_first_of("\r\n") != std::string::npos) {
      throw InputError({.source = "<command line>", .field = "--header"},
                       fmt::format("expected 'Name: value' on one line, got '{}'", header));
    }
  }
}

class OpenAiEngine final : public Engine {
 public:
  explicit OpenAiEngine(const OpenAiEngineOptions& options)
      : options_(options),
        url_(EndpointUrl(options.base_url, options.api)),
        histories_(options.prompt_text) {
    CheckOptions(options);
    settings_ = {
        .model = options.model,
        .exact_output_lengths = options.exact_output_lengths,
        .return_token_ids = options.return_token_ids,
        .continuous_usage_stats = options.continuous_usage_stats,
        .extra_members = openai::ExtraBodyMembers(options.extra_body_json, "--extra-body")};
    openai::InitCurlOnce();
    RaiseOpenFileLimit();
    shared_.url = url_;
    shared_.options = &options_;
    shared_.headers = openai::CommonHeaders(options_);
    multi_ = curl_multi_init();
    if (multi_ == nullptr) throw Error("libcurl could not create a multi handle");
    // Keep every idle connection for reuse (the default keeps 4 per handle added), and cap
    // connections only when asked.
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, 100'000L);
    if (options_.max_connections > 0) {
      curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                        static_cast<long>(options_.max_connections));
    }
    curl_multi_setopt(multi_, CURLMOPT_PIPELINING,
                      options_.http2 ? CURLPIPE_MULTIPLEX : CURLPIPE_NOTHING);
    io_thread_ = std::thread([this] { Loop(); });
  }

  ~OpenAiEngine() override {
    Shutdown();
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
    curl_slist_free_all(shared_.headers);
  }

  EngineDescription Describe() const override {
    return {.name = "openai",
            .model = options_.model,
            .details =
                fmt::format("{} ({}{}, {} prompts)", url_, options_.http2 ? "HTTP/2" : "HTTP/1.1",
                            options_.max_connections > 0
                                ? fmt::format(", at most {} connections", options_.max_connections)
                                : std::string(),
                            options_.api == OpenAiApi::kChat ? "chat message"
                            : options_.token_id_prompts      ? "token-id"
                                                             : "text"),
            .counts_flops = false};
  }

  void Submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) override {
    auto transfer = std::make_unique<Transfer>();
    transfer->shared = &shared_;
    transfer->submitted_ns = MonotonicNs();
    if (request.prompt_tokens.empty() && request.prompt_text.empty()) {
      sink->OnError({.id = request.id,
                     .message = "the request has an empty prompt",
                     .engine_time_ns = MonotonicNs(),
                     .error_class = "rejected"});
      return;
    }
    transfer->prompt_tokens_sent = static_cast<std::int64_t>(request.prompt_tokens.size());
    if (options_.api == OpenAiApi::kChat) {
      const std::vector<openai::ChatMessage> messages = histories_.MessagesFor(request);
      transfer->body = openai::ChatBody(settings_, request, messages);
    } else if (!request.prompt_tokens.empty() && options_.token_id_prompts) {
      transfer->body = openai::CompletionsBody(settings_, request, nullptr);
    } else {
      std::string text = request.prompt_text;
      if (text.empty()) openai::AppendPromptText(request.prompt_tokens, options_.prompt_text, text);
      transfer->body = openai::CompletionsBody(settings_, request, &text);
    }
    transfer->request = std::move(request);
    transfer->sink = std::move(sink);
    bool accepted = false;
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        submissions_.push_back(std::move(transfer));
        ++queued_;
        accepted = true;
      }
    }
    if (!accepted) {
      CancelUnstarted(*transfer);  // after Shutdown: answered, never sent
      return;
    }
    curl_multi_wakeup(multi_);
  }

  void Cancel(RequestId id) override {
    {
      std::lock_guard lock(mutex_);
      cancels_.push_back(id);
    }
    curl_multi_wakeup(multi_);
  }

  EngineStats Stats() const override {
    EngineStats stats;
    stats.running_requests = running_.load(std::memory_order_relaxed);
    stats.waiting_requests = waiting_.load(std::memory_order_relaxed);
    stats.generated_tokens = generated_tokens_.load(std::memory_order_relaxed);
    return stats;
  }

  void Shutdown() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    if (io_thread_.joinable()) io_thread_.join();
  }

 private:
  struct PendingRetry {
    std::int64_t due_ns = 0;
    std::unique_ptr<Transfer> transfer;
  };

  static void CancelUnstarted(Transfer& transfer) {
    transfer.sink->OnFinish({.id = transfer.request.id,
                             .usage = {.prompt_tokens = transfer.prompt_tokens_sent},
                             .reason = FinishReason::kCancelled,
                             .engine_time_ns = MonotonicNs()});
  }

  void Loop() {
    std::vector<std::unique_ptr<Transfer>> arrived;
    std::vector<RequestId> cancels;
    while (true) {
      bool stop = false;
      {
        std::lock_guard lock(mutex_);
        arrived.swap(submissions_);
        cancels.swap(cancels_);
        stop = stopping_;
        queued_ = 0;
      }
      for (auto& transfer : arrived) Start(std::move(transfer));
      arrived.clear();
      for (const RequestId id : cancels) CancelTransfer(id);
      cancels.clear();
      if (stop) break;
      StartDueRetries();

      int still_running = 0;
      curl_multi_perform(multi_, &still_running);
      ReapFinished();
      CutIdleStreams();
      UpdateGauges();

      int timeout_ms = kIdleCheckMs;
      if (!retries_.empty()) {
        const std::int64_t until_ns = retries_.front().due_ns - MonotonicNs();
        timeout_ms =
            static_cast<int>(std::clamp<std::int64_t>(until_ns / 1'000'000, 0, kIdleCheckMs));
      }
      curl_multi_poll(multi_, nullptr, 0, timeout_ms, nullptr);
    }
    // Shutdown: whatever is still queued, waiting or running ends as cancelled.
    for (auto& [id, transfer] : active_) {
      curl_multi_remove_handle(multi_, transfer->easy);
      FinishCancelled(*transfer);
    }
    active_.clear();
    for (PendingRetry& retry : retries_) CancelUnstarted(*retry.transfer);
    retries_.clear();
    std::vector<std::unique_ptr<Transfer>> late;
    {
      std::lock_guard lock(mutex_);
      late.swap(submissions_);
    }
    for (auto& transfer : late) CancelUnstarted(*transfer);
    UpdateGauges();
  }

  void Start(std::unique_ptr<Transfer> transfer) {
    if (!transfer->PrepareAttempt()) {
      transfer->sink->OnError({.id = transfer->request.id,
                               .message = "libcurl could not set up the request",
                               .engine_time_ns = MonotonicNs(),
                               .error_class = "transport"});
      return;
    }
    transfer->attempt_started_ns = MonotonicNs();
    curl_multi_add_handle(multi_, transfer->easy);
    const RequestId id = transfer->request.id;
    active_[id] = std::move(transfer);
  }

  void StartDueRetries() {
    const std::int64_t now = MonotonicNs();
    while (!retries_.empty() && retries_.front().due_ns <= now) {
      std::pop_heap(retries_.begin(), retries_.end(), LaterDue);
      std::unique_ptr<Transfer> transfer = std::move(retries_.back().transfer);
      retries_.pop_back();
      Start(std::move(transfer));
    }
  }

  static bool LaterDue(const PendingRetry& a, const PendingRetry& b) { return a.due_ns > b.due_ns; }

  void CancelTransfer(RequestId id) {
    const auto it = active_.find(id);
    if (it != active_.end()) {
      curl_multi_remove_handle(multi_, it->second->easy);
      FinishCancelled(*it->second);
      active_.erase(it);
      return;
    }
    const auto retry = std::find_if(retries_.begin(), retries_.end(), [id](const PendingRetry& r) {
      return r.transfer->request.id == id;
    });
    if (retry != retries_.end()) {
      CancelUnstarted(*retry->transfer);
      retries_.erase(retry);
      std::make_heap(retries_.begin(), retries_.end(), LaterDue);
    }
  }

  void FinishCancelled(Transfer& transfer) {
    EngineFinish finish{.id = transfer.request.id,
                        .usage = transfer.reader
                                     ? transfer.reader->Usage(transfer.prompt_tokens_sent)
                                     : EngineUsage{.prompt_tokens = transfer.prompt_tokens_sent},
                        .reason = FinishReason::kCancelled,
                        .engine_time_ns = MonotonicNs()};
    transfer.FillTimes(finish);
    generated_tokens_.fetch_add(transfer.reader ? transfer.reader->counted_tokens() : 0,
                                std::memory_order_relaxed);
    transfer.sink->OnFinish(finish);
  }

  void ReapFinished() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      Transfer* raw = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &raw);
      const CURLcode code = message->data.result;
      curl_multi_remove_handle(multi_, message->easy_handle);
      const auto it = active_.find(raw->request.id);
      if (it == active_.end()) continue;
      std::unique_ptr<Transfer> transfer = std::move(it->second);
      active_.erase(it);
      Complete(std::move(transfer), code);
    }
  }

  void Complete(std::unique_ptr<Transfer> transfer, CURLcode code) {
    const openai::AttemptOutcome outcome = transfer->Decide(code);
    Transfer& t = *transfer;
    switch (outcome.kind) {
      case openai::AttemptOutcome::Kind::kRetry: {
        spdlog::debug("request {}: {}; retrying in {} ms", t.request.id.value, outcome.message,
                      outcome.retry_delay_ms);
        if (outcome.connect_retry) {
          ++t.connect_failures;
        } else {
          ++t.rate_limit_retries;
        }
        retries_.push_back(
            {MonotonicNs() + outcome.retry_delay_ms * 1'000'000, std::move(transfer)});
        std::push_heap(retries_.begin(), retries_.end(), LaterDue);
        return;
      }
      case openai::AttemptOutcome::Kind::kFailed: {
        const std::int64_t counted = t.reader ? t.reader->counted_tokens() : 0;
        generated_tokens_.fetch_add(counted, std::memory_order_relaxed);
        t.sink->OnError({.id = t.request.id,
                         .message = outcome.message,
                         .engine_time_ns = MonotonicNs(),
                         .error_class = outcome.error_class});
        return;
      }
      case openai::AttemptOutcome::Kind::kFinished:
        break;
    }
    EngineFinish finish{.id = t.request.id,
                        .usage = t.reader->Usage(t.prompt_tokens_sent),
                        .reason = t.reader->Reason(t.request.max_output_tokens),
                        .engine_time_ns = MonotonicNs()};
    t.FillTimes(finish);
    generated_tokens_.fetch_add(finish.usage.completion_tokens, std::memory_order_relaxed);
    if (options_.api == OpenAiApi::kChat) {
      histories_.RecordReply(t.request.session_id, t.request.id, std::move(t.reader->reply_text()));
    }
    t.sink->OnFinish(finish);
  }

  // Streams that delivered their first byte and then nothing for idle_timeout_ms end as
  // timeouts. Checked at most every kIdleCheckMs; before the first byte the request timeout
  // applies (a busy server may legitimately hold a request in its queue).
  void CutIdleStreams() {
    const std::int64_t now = MonotonicNs();
    if (now - last_idle_check_ns_ < kIdleCheckMs * 1'000'000) return;
    last_idle_check_ns_ = now;
    const std::int64_t limit_ns = options_.idle_timeout_ms * 1'000'000;
    std::vector<RequestId> idle;
    for (const auto& [id, transfer] : active_) {
      if (transfer->last_byte_ns != 0 && now - transfer->last_byte_ns > limit_ns) {
        idle.push_back(id);
      }
    }
    for (const RequestId id : idle) {
      const auto it = active_.find(id);
      std::unique_ptr<Transfer> transfer = std::move(it->second);
      active_.erase(it);
      curl_multi_remove_handle(multi_, transfer->easy);
      transfer->idle_cut = true;
      Complete(std::move(transfer), CURLE_OPERATION_TIMEDOUT);
    }
  }

  void UpdateGauges() {
    running_.store(static_cast<std::int64_t>(active_.size()), std::memory_order_relaxed);
    std::int64_t queued = 0;
    {
      std::lock_guard lock(mutex_);
      queued = queued_;
    }
    waiting_.store(static_cast<std::int64_t>(retries_.size()) + queued, std::memory_order_relaxed);
  }

  const OpenAiEngineOptions options_;
  const std::string url_;
  openai::BodySettings settings_;
  openai::TransferShared shared_;
  openai::ChatHistories histories_;
  CURLM* multi_ = nullptr;

  // Between Submit/Cancel/Shutdown and the I/O thread.
  std::mutex mutex_;
  std::vector<std::unique_ptr<Transfer>> submissions_;
  std::vector<RequestId> cancels_;
  std::int64_t queued_ = 0;
  bool stopping_ = false;

  // The I/O thread's own.
  std::unordered_map<RequestId, std::unique_ptr<Transfer>> active_;
  std::vector<PendingRetry> retries_;  // a min-heap by due time
  std::int64_t last_idle_check_ns_ = 0;

  std::atomic<std::int64_t> running_{0};
  std::atomic<std::int64_t> waiting_{0};
  std::atomic<std::int64_t> generated_tokens_{0};
  std::thread io_thread_;
};

}  // namespace

std::unique_ptr<Engine> MakeOpenAiEngine(const OpenAiEngineOptions& options) {
  return std::make_unique<OpenAiEngine>(options);
}

}  // namespace infermeter::engines
