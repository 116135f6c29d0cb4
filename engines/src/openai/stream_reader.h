#pragma once
// Reads one streaming response body (after a 2xx status): SSE framing, chunk decoding, and the
// calls to the request's ResponseSink, one OnChunk per chunk that carries output, timed when its
// bytes were delivered. It keeps what the end of the request needs: the usage the server
// reported, the finish reason, whether `[DONE]` arrived, the visible reply text (chat histories)
// and the first failure. Transport-free, so tests and benchmarks feed it bytes directly.
// Not thread-safe: one reader per stream, used by the thread that receives its bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "infermeter/core/engine.h"
#include "openai/chunk_decoder.h"
#include "openai/sse_parser.h"

namespace infermeter::engines::openai {

struct StreamFailure {
  std::string error_class;  // "server_error_event", "malformed_event", "stream_cut"
  std::string message;
};

class StreamReader {
 public:
  StreamReader(RequestId id, ResponseSink& sink, bool keep_reply_text);

  // Parses the next bytes of the body, which arrived at `received_ns` (monotonic clock; it
  // becomes each chunk's engine_time_ns, so a sink can tell how long the client held a chunk);
  // calls sink.OnChunk for each chunk with output. Returns false once the stream failed (an error
  // event, a malformed event or an oversized one): failure() says why and the caller ends the
  // request with OnError.
  bool Feed(std::string_view bytes, std::int64_t received_ns);

  // The body ended. Returns the failure, if any: one seen earlier, or "stream_cut" when the
  // stream ended before the server said it was done (no `[DONE]`, no finish_reason and no
  // final usage) or in the middle of an event.
  std::optional<StreamFailure> Finish();

  // What the server reported, for EngineFinish: usage when it sent it, else the prompt length
  // the client knows and the tokens it counted.
  EngineUsage Usage(std::int64_t prompt_tokens_sent) const;
  // The server's finish_reason; without one, kLength when `max_output_tokens` were produced.
  FinishReason Reason(std::int64_t max_output_tokens) const;

  std::int64_t counted_tokens() const { return counted_tokens_; }
  std::int64_t chunks() const { return chunks_; }
  bool saw_done() const { return saw_done_; }
  const std::optional<StreamFailure>& failure() const { return failure_; }
  std::string& reply_text() { return reply_text_; }

 private:
  void OnEvent(const SseEvent& event, std::int64_t received_ns);
  void Fail(std::string error_class, std::string message);

  RequestId id_;
  ResponseSink& sink_;
  bool keep_reply_text_;
  SseParser parser_;
  ChunkDecoder decoder_;
  EngineChunk chunk_;  // reused: its buffers keep their capacity from chunk to chunk
  std::optional<ChunkUsage> usage_;
  std::string finish_reason_;
  std::string reply_text_;
  std::optional<StreamFailure> failure_;
  std::int64_t counted_tokens_ = 0;
  std::int64_t chunks_ = 0;
  bool saw_done_ = false;
};

}  // namespace infermeter::engines::openai
