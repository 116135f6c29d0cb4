#include "serve/request_stream.h"

namespace infermeter::engines::serve {
namespace {

double Seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

RequestStream::RequestStream(RequestStreamOptions options, std::shared_ptr<ServeMetrics> metrics)
    : options_(options), metrics_(std::move(metrics)) {}

void RequestStream::Push(StreamEvent event) {
  queue_.push_back(std::move(event));
  ready_.notify_one();
}

void RequestStream::OnChunk(const EngineChunk& chunk) {
  if (stopped_here_ || chunk.tokens.empty()) return;
  StreamEvent event;
  event.tokens.reserve(chunk.tokens.size());
  for (const TokenId id : chunk.tokens) {
    event.tokens.push_back(id);
    ++forwarded_;
    if (options_.min_tokens > 0 && id == options_.eos_token_id &&
        forwarded_ > options_.min_tokens) {
      stopped_here_ = true;
      break;
    }
  }
  if (last_token_ns_ == 0) {
    metrics_->FirstToken(Seconds(chunk.engine_time_ns - options_.arrival_ns),
                         options_.prompt_tokens);
  } else {
    metrics_->InterToken(Seconds(chunk.engine_time_ns - last_token_ns_));
  }
  last_token_ns_ = chunk.engine_time_ns;

  std::lock_guard lock(mutex_);
  Push(std::move(event));
  if (stopped_here_) {
    // The request has ended as far as the client is concerned; the engine's own finish (a
    // cancel) only supplies the cached-token count.
    StreamEvent finish;
    finish.kind = StreamEvent::Kind::kFinish;
    finish.reason = FinishReason::kStop;
    finish.usage = {.prompt_tokens = options_.prompt_tokens,
                    .cached_prompt_tokens = 0,
                    .completion_tokens = forwarded_};
    Push(std::move(finish));
  }
}

void RequestStream::OnFinish(const EngineFinish& finish) {
  const FinishReason reason = stopped_here_ ? FinishReason::kStop : finish.reason;
  const FinishedReason label = reason == FinishReason::kStop     ? FinishedReason::kStop
                               : reason == FinishReason::kLength ? FinishedReason::kLength
                                                                 : FinishedReason::kAbort;
  std::optional<double> queue_s;
  if (finish.queue_time_ns) queue_s = Seconds(*finish.queue_time_ns);
  metrics_->Finished(label, Seconds(finish.engine_time_ns - options_.arrival_ns), queue_s,
                     options_.prompt_tokens, forwarded_);
  if (stopped_here_) return;  // already ended (OnChunk)
  StreamEvent event;
  event.kind = StreamEvent::Kind::kFinish;
  event.reason = finish.reason;
  event.usage = finish.usage;
  event.usage.completion_tokens = forwarded_;
  std::lock_guard lock(mutex_);
  Push(std::move(event));
}

void RequestStream::OnError(const EngineFailure& failure) {
  StreamEvent event;
  event.kind = StreamEvent::Kind::kError;
  event.message = failure.message;
  std::lock_guard lock(mutex_);
  Push(std::move(event));
}

bool RequestStream::Take(std::vector<StreamEvent>& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (queue_.empty() && !ready_.wait_for(lock, timeout, [this] { return !queue_.empty(); })) {
    return false;
  }
  for (auto& event : queue_) out.push_back(std::move(event));
  queue_.clear();
  return true;
}

bool RequestStream::wants_cancel() const { return stopped_here_.load(); }

}  // namespace infermeter::engines::serve
