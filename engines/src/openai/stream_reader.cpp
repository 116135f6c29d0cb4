#include "openai/stream_reader.h"

#include <utility>

#include <fmt/format.h>

namespace infermeter::engines::openai {
namespace {

// At most this much of an offending event goes into an error message.
constexpr std::size_t kExcerptBytes = 200;

std::string Excerpt(std::string_view data) {
  if (data.size() <= kExcerptBytes) return std::string(data);
  return fmt::format("{}... ({} bytes)", data.substr(0, kExcerptBytes), data.size());
}

}  // namespace

StreamReader::StreamReader(RequestId id, ResponseSink& sink, bool keep_reply_text)
    : id_(id), sink_(sink), keep_reply_text_(keep_reply_text) {
  chunk_.id = id;
}

bool StreamReader::Feed(std::string_view bytes, std::int64_t received_ns) {
  if (failure_) return false;
  const bool ok = parser_.Feed(bytes, [this, received_ns](const SseEvent& event) {
    if (!failure_) OnEvent(event, received_ns);
  });
  if (!ok && !failure_) Fail("malformed_event", parser_.error());
  return !failure_;
}

void StreamReader::OnEvent(const SseEvent& event, std::int64_t received_ns) {
  const DecodedChunk decoded = decoder_.Decode(event.data, event.type);
  switch (decoded.kind) {
    case ChunkKind::kDone:
      saw_done_ = true;
      return;
    case ChunkKind::kError:
      if (decoded.error_source == ChunkErrorSource::kServer) {
        Fail("server_error_event",
             decoded.error_type.empty()
                 ? std::string(decoded.error_message)
                 : fmt::format("{} ({})", decoded.error_message, decoded.error_type));
      } else {
        Fail("malformed_event",
             fmt::format("{}; event data: {}", decoded.error_message, Excerpt(event.data)));
      }
      return;
    case ChunkKind::kUsage:
      usage_ = decoded.usage;
      return;
    case ChunkKind::kNoOutput:
    case ChunkKind::kTokens:
      break;
  }
  if (decoded.usage) usage_ = decoded.usage;
  if (!decoded.finish_reason.empty()) finish_reason_.assign(decoded.finish_reason);
  if (keep_reply_text_) reply_text_.append(decoded.text);
  if (decoded.kind != ChunkKind::kTokens || decoded.token_count <= 0) return;

  chunk_.engine_time_ns = received_ns;
  chunk_.token_count = decoded.token_count;
  chunk_.tokens.assign(decoded.token_ids.begin(), decoded.token_ids.end());
  chunk_.text.assign(decoded.text);
  // Reasoning-only chunks are output (time to first token) but not visible content.
  chunk_.reasoning = decoded.text.empty() && decoded.refusal.empty() &&
                     decoded.tool_call_bytes == 0 && !decoded.reasoning.empty();
  counted_tokens_ += decoded.token_count;
  ++chunks_;
  sink_.OnChunk(chunk_);
}

void StreamReader::Fail(std::string error_class, std::string message) {
  failure_ = StreamFailure{std::move(error_class), std::move(message)};
}

std::optional<StreamFailure> StreamReader::Finish() {
  SseStreamEnd end = parser_.Finish();
  if (failure_) return failure_;
  if (!end.complete) {
    Fail("stream_cut", fmt::format("the stream ended inside an event: {}", end.description));
  } else if (!saw_done_ && finish_reason_.empty() && !usage_) {
    Fail("stream_cut", fmt::format("the stream ended after {} chunks ({} tokens) without [DONE], a "
                                   "finish_reason or usage",
                                   chunks_, counted_tokens_));
  }
  return failure_;
}

EngineUsage StreamReader::Usage(std::int64_t prompt_tokens_sent) const {
  EngineUsage usage;
  usage.prompt_tokens = prompt_tokens_sent;
  usage.completion_tokens = counted_tokens_;
  if (usage_) {
    if (usage_->prompt_tokens > 0) usage.prompt_tokens = usage_->prompt_tokens;
    usage.completion_tokens = usage_->completion_tokens;
    usage.cached_prompt_tokens = usage_->cached_tokens.value_or(0);
    usage.reasoning_tokens = usage_->reasoning_tokens.value_or(0);
  }
  return usage;
}

FinishReason StreamReader::Reason(std::int64_t max_output_tokens) const {
  if (finish_reason_.empty()) {
    const std::int64_t produced = usage_ ? usage_->completion_tokens : counted_tokens_;
    return produced >= max_output_tokens ? FinishReason::kLength : FinishReason::kStop;
  }
  return finish_reason_ == "length" ? FinishReason::kLength : FinishReason::kStop;
}

}  // namespace infermeter::engines::openai
