#pragma once
// The JSON the server sends back, in the shapes of OpenAI's API with vLLM's extensions:
// streaming chunks as Server-Sent Events ("data: {...}\n\n", then "data: [DONE]\n\n"), the full
// non-streaming response, usage objects, errors. One writer per request; chunk writing is on
// the hot path (one chunk per generated token), so chunks are formatted directly, not through
// a JSON DOM.
//
// Streams, in order (like vLLM):
//   chat only: a role-only chunk, delta {"role":"assistant","content":""} (with the top-level
//     prompt_token_ids when return_token_ids);
//   one chunk per engine chunk: choices[0].text (completions) or .delta.content (chat), with
//     choices[0].token_ids when return_token_ids (completions: the first also carries
//     choices[0].prompt_token_ids) and usage so far when continuous_usage_stats;
//   a chunk with empty text/delta and finish_reason "stop" or "length";
//   with include_usage: a chunk with "choices": [] and the usage;
//   "data: [DONE]".

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "infermeter/core/engine.h"
#include "infermeter/core/json_text.h"
#include "serve/request_parser.h"

namespace infermeter::engines::serve {

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t cached_tokens = 0;  // prompt_tokens_details.cached_tokens
};

// "stop" or "length" (a cancelled request ends the stream without a finish chunk).
std::string_view FinishReasonText(FinishReason reason);

class ResponseWriter {
 public:
  // `id` is the response id ("cmpl-..."/"chatcmpl-..."), `created` Unix seconds.
  ResponseWriter(Endpoint endpoint, std::string id, std::int64_t created, std::string_view model,
                 bool return_token_ids, bool continuous_usage_stats);

  // The events that open a stream: the role-only chunk for chat, nothing for completions.
  std::string StreamStart(std::span<const TokenId> prompt_tokens) const;
  // One event with generated text. `usage` is the usage so far (written with
  // continuous_usage_stats). Completions: the first call also writes prompt_token_ids.
  std::string TokenEvent(std::string_view text, std::span<const TokenId> ids,
                         std::span<const TokenId> prompt_tokens, const Usage& usage);
  std::string FinishEvent(FinishReason reason, const Usage& usage) const;
  std::string UsageEvent(const Usage& usage) const;
  static std::string_view DoneEvent() { return "data: [DONE]\n\n"; }

  // The non-streaming response.
  std::string FullResponse(std::string_view text, std::span<const TokenId> ids,
                           std::span<const TokenId> prompt_tokens, FinishReason reason,
                           const Usage& usage) const;

  static std::string UsageJson(const Usage& usage);

 private:
  std::string Head() const;  // {"id":...,"object":...,"created":...,"model":...,

  Endpoint endpoint_;
  std::string id_;
  std::int64_t created_;
  std::string model_json_;  // the model name as a JSON string
  bool return_token_ids_;
  bool continuous_usage_stats_;
  bool prompt_ids_sent_ = false;
};

}  // namespace infermeter::engines::serve
