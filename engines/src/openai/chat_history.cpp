#include "openai/chat_history.h"

#include <algorithm>
#include <span>
#include <utility>

#include "openai/prompt_text.h"

namespace infermeter::engines::openai {

std::vector<ChatMessage> ChatHistories::MessagesFor(const EngineRequest& request) {
  const std::span<const TokenId> prompt(request.prompt_tokens);
  if (request.session_id.empty()) {
    ChatMessage user{.role = "user", .content = request.prompt_text};
    if (user.content.empty()) AppendPromptText(prompt, form_, user.content);
    return {std::move(user)};
  }
  std::lock_guard lock(mutex_);
  Session& session = sessions_[request.session_id];
  const bool extends = !session.messages.empty() && session.prompt.size() < prompt.size() &&
                       std::equal(session.prompt.begin(), session.prompt.end(), prompt.begin());
  ChatMessage user{.role = "user", .content = {}};
  if (extends) {
    AppendPromptText(prompt.subspan(session.prompt.size()), form_, user.content);
  } else {
    session.messages.clear();
    if (request.prompt_tokens.empty()) {
      user.content = request.prompt_text;
    } else {
      AppendPromptText(prompt, form_, user.content);
    }
  }
  session.messages.push_back(std::move(user));
  session.prompt.assign(prompt.begin(), prompt.end());
  session.latest = request.id;
  return session.messages;
}

void ChatHistories::RecordReply(const std::string& session_id, RequestId request,
                                std::string reply) {
  if (session_id.empty()) return;
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(session_id);
  if (it == sessions_.end() || !(it->second.latest == request)) return;
  it->second.messages.push_back({.role = "assistant", .content = std::move(reply)});
}

std::size_t ChatHistories::sessions() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace infermeter::engines::openai
