#include "request_sink.h"

#include <utility>

#include "infermeter/core/clock.h"

namespace infermeter::harness {

void CompletionInbox::Post(Completion completion) {
  {
    std::lock_guard lock(mutex);
    if (closed) return;
    finished.push_back(std::move(completion));
  }
  changed.notify_one();
}

void CompletionInbox::Close() {
  std::lock_guard lock(mutex);
  closed = true;
}

RequestSink::RequestSink(std::shared_ptr<CompletionInbox> inbox, std::size_t flat, bool warmup,
                         results::RequestRecord record)
    : inbox_(std::move(inbox)), flat_(flat), warmup_(warmup), record_(std::move(record)) {}

void RequestSink::OnChunk(const EngineChunk& chunk) {
  // Read the clock first: the time a chunk arrived is the figure everything else rests on.
  const std::int64_t now_ns = MonotonicNs();
  if (chunk.token_count <= 0) return;  // role-only or empty chunks carry no output token
  std::lock_guard lock(mutex_);
  if (ended_) return;
  record_.chunks.push_back({now_ns, static_cast<std::int32_t>(chunk.token_count)});
  counted_tokens_ += chunk.token_count;
  if (chunk.reasoning) {
    reasoning_chunk_tokens_ += chunk.token_count;
  } else if (!first_visible_ns_) {
    first_visible_ns_ = now_ns;
  }
  inbox_->output_tokens.fetch_add(chunk.token_count, std::memory_order_relaxed);
}

void RequestSink::OnFinish(const EngineFinish& finish) {
  const std::int64_t now_ns = MonotonicNs();
  std::lock_guard lock(mutex_);
  if (ended_) return;
  record_.cached_tokens = finish.usage.cached_prompt_tokens;
  // The engine's usage is authoritative (an HTTP stream may merge tokens into one chunk); the
  // count of streamed tokens stands in when the engine gives none.
  record_.output_tokens =
      finish.usage.completion_tokens > 0 ? finish.usage.completion_tokens : counted_tokens_;
  if (finish.usage.prompt_tokens > 0) record_.input_tokens = finish.usage.prompt_tokens;
  record_.engine_queue_ns = finish.queue_time_ns;
  record_.connected_ns = finish.connected_ns;
  record_.first_byte_ns = finish.first_byte_ns;
  // Unknown (NULL) unless the engine counted reasoning tokens or marked reasoning chunks: an
  // engine that never tells reasoning apart (the reference engine) reports 0, which would read
  // as "no reasoning" rather than "not known". Usage wins over the chunk count, as for
  // output_tokens.
  if (finish.usage.reasoning_tokens > 0) record_.reasoning_tokens = finish.usage.reasoning_tokens;
  record_.finish_reason = std::string(ToString(finish.reason));
  record_.status = finish.reason == FinishReason::kCancelled ? results::RequestStatus::kCancelled
                                                             : results::RequestStatus::kOk;
  End(now_ns);
}

void RequestSink::OnError(const EngineFailure& failure) {
  const std::int64_t now_ns = MonotonicNs();
  std::lock_guard lock(mutex_);
  if (ended_) return;
  record_.output_tokens = counted_tokens_;
  record_.status = results::RequestStatus::kError;
  record_.error_class = failure.error_class.empty() ? "engine_error" : failure.error_class;
  record_.error_message = failure.message;
  End(now_ns);
}

void RequestSink::End(std::int64_t done_ns) {
  ended_ = true;
  record_.done_ns = done_ns;
  FillChunkFacts();
  inbox_->Post({flat_, warmup_, std::move(record_)});
}

void RequestSink::FillChunkFacts() {
  if (!record_.chunks.empty()) {
    record_.first_token_ns = record_.chunks.front().time_ns;
    record_.last_token_ns = record_.chunks.back().time_ns;
  }
  record_.first_visible_token_ns = first_visible_ns_;
  if (!record_.reasoning_tokens && reasoning_chunk_tokens_ > 0) {
    record_.reasoning_tokens = reasoning_chunk_tokens_;
  }
}

std::optional<results::RequestRecord> RequestSink::Abandon() {
  std::lock_guard lock(mutex_);
  if (ended_) return std::nullopt;
  ended_ = true;
  record_.output_tokens = counted_tokens_;
  FillChunkFacts();
  return std::move(record_);
}

}  // namespace infermeter::harness
