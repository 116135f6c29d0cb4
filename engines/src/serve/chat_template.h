#pragma once
// The plain chat template of `infermeter serve` (docs/SERVE.md): each message becomes
// "<|ROLE|>\n" + its text + "\n", and the prompt ends with "<|assistant|>\n", the assistant's
// turn. The model behind it has no trained template, so the point is only to be documented and
// stable: prompt_tokens of a chat request is the byte count of this text.

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace infermeter::engines::serve {

// Renders `messages` (the request's array). Roles: system, developer, user, assistant, tool.
// Content: a string, an array of {"type": "text", "text": ...} parts (joined), or null (an
// assistant turn with tool calls only). Throws ApiException (400, param "messages[i]...")
// naming the message and field that is wrong.
std::string RenderChatPrompt(const nlohmann::json& messages);

}  // namespace infermeter::engines::serve
