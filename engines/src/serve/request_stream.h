#pragma once
// One request's channel from the engine to its HTTP connection. The engine calls the sink
// methods on its own thread: they only append to a queue under a short lock, notify, and update
// the server's metrics with atomics, so the engine never waits on a slow client. The
// connection's thread takes the queued events and writes them out.
//
// It also implements vLLM's min_tokens, which the engine does not know: such a request runs in
// the engine with ignore_eos, and the first end-of-sequence token after min_tokens ends it here
// (finish reason "stop"); later tokens are dropped and the connection's thread cancels the
// engine request (wants_cancel). An end-of-sequence token before min_tokens stays an ordinary
// token, where vLLM would have masked it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "infermeter/core/engine.h"
#include "serve/serve_metrics.h"

namespace infermeter::engines::serve {

struct StreamEvent {
  enum class Kind { kTokens, kFinish, kError };
  Kind kind = Kind::kTokens;
  std::vector<TokenId> tokens;  // kTokens
  EngineUsage usage;            // kFinish: completion_tokens is what was forwarded
  FinishReason reason = FinishReason::kLength;
  std::string message;  // kError
};

struct RequestStreamOptions {
  std::int64_t arrival_ns = 0;  // MonotonicNs() when the request arrived
  std::int64_t prompt_tokens = 0;
  std::int64_t min_tokens = 0;  // > 0: stop at the first end-of-sequence after this many
  TokenId eos_token_id = 1;
};

class RequestStream final : public ResponseSink {
 public:
  RequestStream(RequestStreamOptions options, std::shared_ptr<ServeMetrics> metrics);

  // Engine side.
  void OnChunk(const EngineChunk& chunk) override;
  void OnFinish(const EngineFinish& finish) override;
  void OnError(const EngineFailure& failure) override;

  // Connection side: appends the queued events to `out`, waiting up to `timeout` when there
  // are none. Returns false when nothing came.
  bool Take(std::vector<StreamEvent>& out, std::chrono::milliseconds timeout);
  // True once the stream ended here (min_tokens) while the engine still runs the request: the
  // caller should Cancel it in the engine (sinks may not call back into the engine).
  bool wants_cancel() const;

 private:
  void Push(StreamEvent event);  // with mutex_ held

  const RequestStreamOptions options_;
  const std::shared_ptr<ServeMetrics> metrics_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<StreamEvent> queue_;
  // Engine-side accounting (touched only by the engine's thread, one call at a time).
  std::int64_t forwarded_ = 0;
  std::int64_t last_token_ns_ = 0;
  std::atomic<bool> stopped_here_{false};  // read by the connection's thread
};

}  // namespace infermeter::engines::serve
