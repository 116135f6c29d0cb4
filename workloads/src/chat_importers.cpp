// Text conversations: ShareGPT ({"id", "conversations": [{"from", "value"}]}) and agent
// trajectories as OpenAI chat messages (τ-bench: {"task_id", "trial", "traj": [{"role",
// "content", "tool_calls"}, {"role": "tool", "name", "content", "execution_time_seconds"?}]}).
//
// Every model answer (gpt / assistant message) is one request whose input is the whole history
// before it. Token counts are estimates (ImportOptions::estimator): a message costs
// kMessageOverheadTokens plus its text; an answer's output is its text plus one end-of-message
// token. Blocks come from BlockChain with one segment per message, keyed by its content, so equal
// system prompts are shared prefixes across sessions.

#include <unordered_set>

#include <fmt/format.h>

#include "importers.h"
#include "infermeter/workloads/block_chain.h"
#include "json_document.h"

namespace infermeter::workloads::detail {
namespace {

// Role and chat-template markers around each message (OpenAI's cookbook counts 3-4 for its
// chat format).
constexpr std::int64_t kMessageOverheadTokens = 4;
constexpr std::int64_t kEndOfMessageTokens = 1;

std::uint64_t Fnv1a(std::string_view text, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (const unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

enum class Role { kSystem, kUser, kAssistant, kTool };

// One message reduced to what the trace needs.
struct Message {
  Role role = Role::kUser;
  std::string text;       // content, plus tool-call names and arguments for assistant messages
  std::string tool_name;  // tools called (assistant) or answering (tool), comma-separated
  std::optional<double> execution_time_s;  // tool messages only, when recorded
  std::string path;
};

struct Conversation {
  std::string id;
  std::vector<Message> messages;
  std::vector<std::string> tags;
  std::string path;
};

// Turns one conversation into a session; throws InputError for conversations that cannot be
// one (no model answer, an answer with nothing before it).
Session BuildSession(const Conversation& conversation, const ImportContext& context, Rng& rng,
                     std::int64_t* sampled_tool_times) {
  const ImportOptions& options = *context.options;
  Session session;
  session.id = conversation.id;
  BlockChain chain(options.block_size_tokens);
  std::int64_t pending_think_ns = 0;
  const auto to_ns = [](double ms) { return static_cast<std::int64_t>(std::llround(ms * 1e6)); };
  for (const Message& message : conversation.messages) {
    const std::int64_t text_tokens = EstimateTokens(message.text, options.estimator);
    if (message.role == Role::kAssistant) {
      if (chain.tokens() == 0) {
        throw InputError({.source = context.source, .path = message.path},
                         "a model answer with no messages before it has no input");
      }
      Request request;
      request.input_tokens = chain.tokens();
      request.block_hash_ids = chain.HashIds();
      request.output_tokens = text_tokens + kEndOfMessageTokens;
      request.metadata.tool_name = message.tool_name;
      request.metadata.tags = conversation.tags;
      if (!session.turns.empty()) {
        request.after_turns = {static_cast<std::int32_t>(session.turns.size() - 1)};
        request.think_time_ns = pending_think_ns;
      }
      pending_think_ns = 0;
      session.turns.push_back(std::move(request));
    } else if (message.role == Role::kTool) {
      if (message.execution_time_s) {
        pending_think_ns += to_ns(*message.execution_time_s * 1000.0);
      } else {
        pending_think_ns += to_ns(Sample(options.tool_time_ms, rng));
        ++*sampled_tool_times;
      }
    } else if (message.role == Role::kUser && !session.turns.empty()) {
      pending_think_ns += to_ns(Sample(options.user_think_time_ms, rng));
    }
    const std::uint64_t key = Fnv1a(
        message.text, Fnv1a(std::string_view("\x01", 1), static_cast<std::uint64_t>(message.role)));
    chain.Append(key, text_tokens + kMessageOverheadTokens);
  }
  if (session.turns.empty()) {
    throw InputError({.source = context.source, .path = conversation.path},
                     "the conversation has no model answer (no 'gpt' or 'assistant' message)");
  }
  return session;
}

std::string IdText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  return value.dump();
}

const nlohmann::json& RequireString(const nlohmann::json& object, std::string_view key,
                                    const std::string& path, const ImportContext& context) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    throw InputError({.source = context.source, .path = path, .field = std::string(key)},
                     fmt::format("expected a string, found {}",
                                 it == object.end() ? std::string("nothing") : TypeName(*it)));
  }
  return *it;
}

Conversation ReadShareGpt(const nlohmann::json& item, const std::string& path, std::size_t index,
                          const ImportContext& context) {
  if (!item.is_object()) {
    throw InputError({.source = context.source, .path = path},
                     fmt::format("expected a conversation object, found {}", TypeName(item)));
  }
  Conversation conversation;
  conversation.path = path;
  const auto id = item.find("id");
  conversation.id = id != item.end() ? IdText(*id) : std::to_string(index);
  const auto turns = item.find("conversations");
  const std::string turns_path = KeyPath(path, "conversations");
  if (turns == item.end() || !turns->is_array()) {
    throw InputError({.source = context.source, .path = path, .field = "conversations"},
                     "expected an array of {\"from\", \"value\"} messages");
  }
  for (std::size_t i = 0; i < turns->size(); ++i) {
    const auto& m = (*turns)[i];
    const std::string m_path = IndexPath(turns_path, i);
    if (!m.is_object()) {
      throw InputError({.source = context.source, .path = m_path},
                       fmt::format("expected a message object, found {}", TypeName(m)));
    }
    const std::string from = RequireString(m, "from", m_path, context).get<std::string>();
    Message message;
    message.path = m_path;
    if (from == "human" || from == "user") {
      message.role = Role::kUser;
    } else if (from == "gpt" || from == "chatgpt" || from == "assistant" || from == "bard" ||
               from == "bing") {
      message.role = Role::kAssistant;
    } else if (from == "system") {
      message.role = Role::kSystem;
    } else {
      throw InputError({.source = context.source, .path = m_path, .field = "from"},
                       fmt::format("expected human, user, gpt, chatgpt, assistant, bard, bing or "
                                   "system, found '{}'",
                                   from));
    }
    message.text = RequireString(m, "value", m_path, context).get<std::string>();
    conversation.messages.push_back(std::move(message));
  }
  return conversation;
}

Conversation ReadTrajectory(const nlohmann::json& item, const std::string& path, std::size_t index,
                            const ImportContext& context) {
  if (!item.is_object()) {
    throw InputError({.source = context.source, .path = path},
                     fmt::format("expected a trajectory object, found {}", TypeName(item)));
  }
  Conversation conversation;
  conversation.path = path;
  const auto task = item.find("task_id");
  const auto trial = item.find("trial");
  conversation.id = task != item.end() && trial != item.end()
                        ? fmt::format("task-{}-trial-{}", IdText(*task), IdText(*trial))
                        : std::to_string(index);
  if (const auto reward = item.find("reward"); reward != item.end() && reward->is_number()) {
    conversation.tags.push_back(fmt::format("reward={}", reward->get<double>()));
  }
  const char* list_key = item.contains("traj") ? "traj" : "messages";
  const auto list = item.find(list_key);
  const std::string list_path = KeyPath(path, list_key);
  if (list == item.end() || !list->is_array()) {
    throw InputError({.source = context.source, .path = path, .field = "traj"},
                     "expected an array of chat messages in 'traj' or 'messages'");
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& m = (*list)[i];
    const std::string m_path = IndexPath(list_path, i);
    if (!m.is_object()) {
      throw InputError({.source = context.source, .path = m_path},
                       fmt::format("expected a message object, found {}", TypeName(m)));
    }
    const std::string role = RequireString(m, "role", m_path, context).get<std::string>();
    Message message;
    message.path = m_path;
    if (role == "system" || role == "developer") {
      message.role = Role::kSystem;
    } else if (role == "user") {
      message.role = Role::kUser;
    } else if (role == "assistant") {
      message.role = Role::kAssistant;
    } else if (role == "tool") {
      message.role = Role::kTool;
    } else {
      throw InputError({.source = context.source, .path = m_path, .field = "role"},
                       fmt::format("expected system, developer, user, assistant or tool, found "
                                   "'{}'",
                                   role));
    }
    const auto content = m.find("content");
    if (content != m.end() && content->is_string()) {
      message.text = content->get<std::string>();
    } else if (content != m.end() && !content->is_null()) {
      throw InputError({.source = context.source, .path = m_path, .field = "content"},
                       fmt::format("expected a string or null, found {}", TypeName(*content)));
    }
    if (const auto calls = m.find("tool_calls"); calls != m.end() && !calls->is_null()) {
      if (!calls->is_array()) {
        throw InputError({.source = context.source, .path = m_path, .field = "tool_calls"},
                         fmt::format("expected an array, found {}", TypeName(*calls)));
      }
      for (std::size_t c = 0; c < calls->size(); ++c) {
        const std::string c_path = KeyPath(IndexPath(KeyPath(m_path, "tool_calls"), c), "function");
        const auto& call = (*calls)[c];
        const auto function = call.is_object() ? call.find("function") : call.end();
        if (!call.is_object() || function == call.end() || !function->is_object()) {
          throw InputError({.source = context.source, .path = c_path},
                           "expected a tool call with a 'function' object");
        }
        const std::string name =
            RequireString(*function, "name", c_path, context).get<std::string>();
        const auto args = function->find("arguments");
        const std::string arguments =
            args == function->end() ? ""
                                    : (args->is_string() ? args->get<std::string>() : args->dump());
        if (!message.tool_name.empty()) message.tool_name += ',';
        message.tool_name += name;
        message.text += fmt::format("\n{}({})", name, arguments);
      }
    }
    if (message.role == Role::kTool) {
      if (const auto name = m.find("name"); name != m.end() && name->is_string()) {
        message.tool_name = name->get<std::string>();
      }
      if (const auto t = m.find("execution_time_seconds"); t != m.end()) {
        if (!t->is_number() || t->get<double>() < 0) {
          throw InputError(
              {.source = context.source, .path = m_path, .field = "execution_time_seconds"},
              fmt::format("expected a non-negative number of seconds, found {}", t->dump()));
        }
        message.execution_time_s = t->get<double>();
      }
    }
    conversation.messages.push_back(std::move(message));
  }
  return conversation;
}

using ReadFunction = Conversation (*)(const nlohmann::json&, const std::string&, std::size_t,
                                      const ImportContext&);

void ImportConversations(std::string_view text, const ImportContext& context, ImportResult* result,
                         std::string_view format, ReadFunction read) {
  const ImportOptions& options = *context.options;
  Trace& trace = result->trace;
  trace.block_size_tokens = options.block_size_tokens;
  trace.source_format = std::string(format);
  trace.token_count_method = EstimatorName(options.estimator);
  const nlohmann::json document = ParseJsonDocument(text, context.source);
  if (!document.is_array()) {
    throw InputError(
        {.source = context.source, .path = "$"},
        fmt::format("expected a JSON array of conversations, found {}", TypeName(document)));
  }
  Rng rng(options.seed);
  std::int64_t sampled_tool_times = 0;
  std::int64_t renamed = 0;
  std::unordered_set<std::string> ids;
  for (std::size_t i = 0; i < document.size(); ++i) {
    const std::string path = IndexPath("$", i);
    try {
      Session session =
          BuildSession(read(document[i], path, i, context), context, rng, &sampled_tool_times);
      if (!ids.insert(session.id).second) {
        // Ids repeat in public ShareGPT dumps; the position keeps them apart.
        session.id += fmt::format("#{}", i);
        ids.insert(session.id);
        ++renamed;
      }
      for (auto& turn : session.turns) turn.metadata.source_line = static_cast<std::int64_t>(i) + 1;
      trace.sessions.push_back(std::move(session));
      ++result->records_read;
    } catch (const InputError& e) {
      context.bad->Handle(e);
    }
  }
  result->notes.push_back(
      fmt::format("token counts are estimates ({}); each message adds {} tokens of chat markup",
                  trace.token_count_method, kMessageOverheadTokens));
  if (format == kFormatChatTrajectories) {
    result->notes.push_back(
        "tool schemas are not part of the messages and are not counted in the input");
  }
  if (sampled_tool_times > 0) {
    result->notes.push_back(fmt::format(
        "{} tool results have no execution_time_seconds; their time is drawn from {} ms",
        sampled_tool_times, ToString(options.tool_time_ms)));
  }
  if (renamed > 0) {
    result->notes.push_back(
        fmt::format("{} repeated session ids got '#<index>' appended", renamed));
  }
}

}  // namespace

void ImportShareGpt(std::string_view text, const ImportContext& context, ImportResult* result) {
  ImportConversations(text, context, result, kFormatShareGpt, &ReadShareGpt);
}

void ImportChatTrajectories(std::string_view text, const ImportContext& context,
                            ImportResult* result) {
  ImportConversations(text, context, result, kFormatChatTrajectories, &ReadTrajectory);
}

}  // namespace infermeter::workloads::detail
