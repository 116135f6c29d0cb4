#include "serve/chat_template.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "serve/api_error.h"

namespace infermeter::engines::serve {
namespace {

[[noreturn]] void Fail(std::string param, std::string message) {
  throw ApiException({.status = 400,
                      .message = std::move(message),
                      .param = std::move(param),
                      .code = "invalid_value"});
}

bool KnownRole(const std::string& role) {
  return role == "system" || role == "developer" || role == "user" || role == "assistant" ||
         role == "tool";
}

std::string ContentText(const nlohmann::json& content, const std::string& where) {
  if (content.is_null()) return {};
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) {
    Fail(where, fmt::format("'{}' must be a string or an array of text parts", where));
  }
  std::string text;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const auto& part = content[i];
    const std::string part_where = fmt::format("{}[{}]", where, i);
    if (!part.is_object()) Fail(part_where, fmt::format("'{}' must be an object", part_where));
    const auto type = part.find("type");
    if (type == part.end() || !type->is_string()) {
      Fail(part_where + ".type", fmt::format("'{}.type' must be a string", part_where));
    }
    if (*type != "text") {
      Fail(part_where + ".type", fmt::format("'{}.type' is '{}'; only text parts are supported",
                                             part_where, type->get<std::string>()));
    }
    const auto part_text = part.find("text");
    if (part_text == part.end() || !part_text->is_string()) {
      Fail(part_where + ".text", fmt::format("'{}.text' must be a string", part_where));
    }
    text += part_text->get<std::string>();
  }
  return text;
}

}  // namespace

std::string RenderChatPrompt(const nlohmann::json& messages) {
  if (!messages.is_array()) Fail("messages", "'messages' must be an array of messages");
  if (messages.empty()) Fail("messages", "'messages' is empty; send at least one message");
  std::string prompt;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& message = messages[i];
    const std::string where = fmt::format("messages[{}]", i);
    if (!message.is_object()) Fail(where, fmt::format("'{}' must be an object", where));
    const auto role = message.find("role");
    if (role == message.end() || !role->is_string()) {
      Fail(where + ".role", fmt::format("'{}.role' must be a string", where));
    }
    const std::string role_text = role->get<std::string>();
    if (!KnownRole(role_text)) {
      Fail(where + ".role",
           fmt::format("'{}.role' is '{}'; expected system, developer, user, assistant or tool",
                       where, role_text));
    }
    const auto content = message.find("content");
    const std::string text =
        content == message.end() ? std::string() : ContentText(*content, where + ".content");
    prompt += fmt::format("<|{}|>\n{}\n", role_text, text);
  }
  prompt += "<|assistant|>\n";
  return prompt;
}

}  // namespace infermeter::engines::serve
