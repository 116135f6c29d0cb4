#pragma once
// Message histories for agentic sessions sent to /v1/chat/completions. The harness gives each
// turn's whole prompt as token ids; a chat server wants the conversation instead. When a turn's
// prompt extends the previous turn's prompt of the same session, the request carries the
// previous messages, the server's actual reply to the previous turn as an assistant message, and
// the new part of the prompt as the next user message, so the server sees (and can cache) a real
// conversation prefix. A prompt that does not extend the previous one starts a new conversation.
// Thread-safe: Submit and the I/O thread both use it.

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "infermeter/core/engine.h"
#include "infermeter/engines/openai_engine.h"
#include "openai/request_body.h"

namespace infermeter::engines::openai {

class ChatHistories {
 public:
  explicit ChatHistories(PromptText form) : form_(form) {}

  // The messages to send for `request` (a single user message without a session id).
  std::vector<ChatMessage> MessagesFor(const EngineRequest& request);

  // The visible reply of a finished request; kept when it answers its session's latest turn.
  void RecordReply(const std::string& session_id, RequestId request, std::string reply);

  std::size_t sessions() const;

 private:
  struct Session {
    std::vector<TokenId> prompt;        // the latest turn's prompt
    std::vector<ChatMessage> messages;  // up to and including the latest turn's user message
    RequestId latest;
  };

  PromptText form_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace infermeter::engines::openai
