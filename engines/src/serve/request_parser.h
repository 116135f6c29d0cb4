#pragma once
// Reads and checks the JSON body of POST /v1/completions and /v1/chat/completions into what the
// engine needs. Every problem is an ApiException with the status and the field at fault, so the
// HTTP layer only has to write it out. Fields and defaults: docs/SERVE.md.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/core/engine.h"
#include "infermeter/engines/serve_model.h"

namespace infermeter::engines::serve {

enum class Endpoint { kCompletions, kChat };

struct ParsedRequest {
  Endpoint endpoint = Endpoint::kCompletions;
  std::vector<TokenId> prompt_tokens;  // text prompts are encoded with the model's tokenizer
  std::int64_t max_tokens = 16;
  // vLLM's min_tokens: end-of-sequence before this many tokens does not end the request.
  std::int64_t min_tokens = 0;
  bool ignore_eos = false;  // vLLM extension: generate exactly max_tokens
  bool stream = false;
  bool include_usage = false;           // stream_options.include_usage
  bool continuous_usage_stats = false;  // stream_options.continuous_usage_stats (vLLM)
  bool return_token_ids = false;        // vLLM >= 0.10.2
  SamplingParams sampling;
  bool seeded = false;  // the request gave `seed`
};

// Parses `body` for `endpoint`. Throws ApiException: 400 for invalid JSON (naming the byte
// offset), a field of the wrong type or value (naming the field), batched prompts, n != 1,
// unsupported features (logprobs, echo, best_of), an empty prompt, token ids outside the
// vocabulary, a request longer than the context; 404 (code model_not_found) when `model` is not
// the served model.
ParsedRequest ParseRequest(Endpoint endpoint, std::string_view body, const ServedModel& model);

}  // namespace infermeter::engines::serve
