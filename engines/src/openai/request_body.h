#pragma once
// The JSON bodies the client sends: /v1/completions with a token-id or text prompt, and
// /v1/chat/completions with a message history. Always streaming with usage; the vLLM extensions
// for exact output lengths and token ids only when asked for.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/core/engine.h"
#include "infermeter/engines/openai_engine.h"

namespace infermeter::engines::openai {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

// What every body of one engine shares, prepared once.
struct BodySettings {
  std::string model;
  bool exact_output_lengths = true;
  bool return_token_ids = false;
  bool continuous_usage_stats = false;
  // The members of the extra-body object without its braces ("" for none), appended last so
  // they override ours in servers whose JSON reader keeps the last duplicate (Python's, vLLM's).
  std::string extra_members;
};

// Checks that `extra_body_json` is a JSON object ("" is none) and returns its members as they go
// into a body; throws InputError naming `option` and what is wrong.
std::string ExtraBodyMembers(std::string_view extra_body_json, std::string_view option);

// /v1/completions: `prompt` is the ids when `text` is null, else the text.
std::string CompletionsBody(const BodySettings& settings, const EngineRequest& request,
                            const std::string* text);

// /v1/chat/completions with `messages` in order.
std::string ChatBody(const BodySettings& settings, const EngineRequest& request,
                     std::span<const ChatMessage> messages);

}  // namespace infermeter::engines::openai
