#pragma once
// Decodes the `data` of one Server-Sent Event of an OpenAI-compatible streaming response, for
// both /v1/completions and /v1/chat/completions (OpenAI, vLLM, SGLang, llama.cpp server, TGI):
//   * `[DONE]`, the end of the stream;
//   * a chunk: choices[0].text (completions) or choices[0].delta.content, .reasoning_content,
//     .reasoning, .refusal, .tool_calls (chat); choices[0].finish_reason; vLLM's
//     choices[0].token_ids and prompt_token_ids (`return_token_ids`); `usage` with
//     prompt_tokens_details.cached_tokens and completion_tokens_details.reasoning_tokens;
//   * the final usage chunk of `stream_options.include_usage` (empty `choices`);
//   * errors: `{"error": {...}}` or `{"error": "..."}` as data, `{"object": "error", ...}`, or
//     any data of an `event: error`.
// A chunk that carries nothing generated (the role-only first delta `{"role":"assistant",
// "content":""}`, empty text, a finish_reason-only delta) is not a token chunk.
//
// Tokens in a chunk, best source first: the length of token_ids (exact); the change of
// usage.completion_tokens since the previous chunk when every chunk with choices so far carried
// usage (vLLM `continuous_usage_stats`; exact); otherwise one per chunk with output (estimated).
//
// Never throws: malformed JSON, wrong field types and invalid UTF-8 or escapes give a kError
// value whose message names the byte offset (syntax) or the field (types) and shows an excerpt.
// Common chunk shapes go through a hand-written single-pass scanner that allocates nothing in
// the steady state (buffers are reused); anything it does not recognise
// (escaped keys, tool calls, errors, very deep nesting, any syntax problem) is handed to
// nlohmann::json, which also words the error messages. Both give the same result.
//
// Stateful per stream (the usage delta); Reset() between streams. Not thread-safe.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/core/engine.h"

namespace infermeter::engines::openai {

namespace detail {
struct ChunkFields;  // what the JSON of one chunk said (chunk_decoder.cpp)
}  // namespace detail

enum class ChunkKind : std::uint8_t {
  kTokens,    // generated output: text, reasoning, refusal, tool-call bytes or token ids
  kNoOutput,  // a chunk with nothing generated (role-only delta, empty text, finish only, {})
  kUsage,     // no choices but a usage object: the final usage chunk
  kDone,      // `[DONE]`
  kError,     // an error from the server, or data that is not a valid chunk
};
std::string_view ToString(ChunkKind kind);

enum class TokenCountSource : std::uint8_t {
  kNone,        // nothing generated in this chunk (token_count 0)
  kTokenIds,    // the length of choices[0].token_ids (exact)
  kUsageDelta,  // the change of usage.completion_tokens since the previous chunk (exact)
  kEstimate,    // one per chunk with output (an estimate: a chunk may carry several tokens)
};
std::string_view ToString(TokenCountSource source);

enum class ChunkErrorSource : std::uint8_t {
  kNone,
  kServer,     // the server reported an error (error object or `event: error`)
  kMalformed,  // the data is not valid JSON or not shaped like a chunk
};

struct ChunkUsage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;
  std::optional<std::int64_t> cached_tokens;     // prompt_tokens_details.cached_tokens
  std::optional<std::int64_t> reasoning_tokens;  // completion_tokens_details.reasoning_tokens

  bool operator==(const ChunkUsage&) const = default;
};

// One decoded event. Views point into the event's data or into the decoder, and are valid until
// the next Decode or Reset on this decoder and while the data passed to Decode is alive.
struct DecodedChunk {
  ChunkKind kind = ChunkKind::kNoOutput;
  std::string_view text;       // choices[0].text or delta.content, as UTF-8 (JSON escapes undone)
  std::string_view reasoning;  // delta.reasoning, else delta.reasoning_content
  std::string_view refusal;    // delta.refusal (OpenAI)
  std::int64_t tool_call_bytes = 0;    // bytes of tool-call names and arguments in the delta
  std::span<const TokenId> token_ids;  // choices[0].token_ids when the server sent them
  // Tokens generated in this chunk (see count_source). An exact source may say 0 for a chunk
  // with text: its tokens were counted earlier (text the detokenizer had held back).
  std::int64_t token_count = 0;
  TokenCountSource count_source = TokenCountSource::kNone;
  std::string_view finish_reason;                  // "stop", "length", ...; "" while generating
  std::int64_t choice_index = 0;                   // choices[0].index
  std::int64_t choice_count = 0;                   // elements of `choices` (more than 1 with n > 1)
  std::optional<ChunkUsage> usage;                 // a non-null `usage` object
  std::optional<std::int64_t> prompt_token_count;  // length of vLLM's prompt_token_ids
  ChunkErrorSource error_source = ChunkErrorSource::kNone;
  std::string_view error_message;  // kError: what went wrong (complete sentence for a log)
  std::string_view error_type;     // kError from the server: its type or code ("" when none)

  bool count_exact() const {
    return count_source == TokenCountSource::kTokenIds ||
           count_source == TokenCountSource::kUsageDelta;
  }
};

struct ChunkDecoderOptions {
  // Off: every chunk goes through nlohmann::json (for tests and benchmarks of the fast path).
  bool fast_path = true;
};

class ChunkDecoder {
 public:
  ChunkDecoder();
  explicit ChunkDecoder(ChunkDecoderOptions options);

  // Decodes the data of one event; `event_type` is the SSE event name ("message" when the
  // server sent none; "error" makes it an error whatever the data).
  DecodedChunk Decode(std::string_view data, std::string_view event_type = "message") noexcept;

  // Starts a new stream (forgets the usage seen so far).
  void Reset();

  // Chunks decoded by the scanner and by nlohmann::json since construction.
  std::uint64_t fast_path_chunks() const { return fast_path_chunks_; }
  std::uint64_t slow_path_chunks() const { return slow_path_chunks_; }

 private:
  DecodedChunk DecodeChunk(std::string_view data);
  DecodedChunk DecodeErrorEvent(std::string_view data);
  // False (with `error` filled) when the data is not a valid chunk or is a server error.
  bool DecodeSlow(std::string_view data, detail::ChunkFields& fields, DecodedChunk& error);
  DecodedChunk Account(const detail::ChunkFields& fields);
  DecodedChunk Error(ChunkErrorSource source, std::string message, std::string type);

  ChunkDecoderOptions options_;
  // Buffers reused from chunk to chunk: unescaped strings and token ids.
  std::string text_buffer_;
  std::string content_buffer_;
  std::string reasoning_buffer_;
  std::string reasoning_content_buffer_;
  std::string refusal_buffer_;
  std::string finish_buffer_;
  std::string error_message_;
  std::string error_type_;
  std::vector<TokenId> token_ids_;
  // Per-stream usage accounting.
  bool usage_on_every_choice_chunk_ = true;
  std::vector<std::int64_t> last_completion_tokens_;  // by choice index
  std::uint64_t fast_path_chunks_ = 0;
  std::uint64_t slow_path_chunks_ = 0;
};

}  // namespace infermeter::engines::openai
