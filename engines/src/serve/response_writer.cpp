#include "serve/response_writer.h"

#include <iterator>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "serve/api_error.h"

namespace infermeter::engines::serve {
namespace {

void AppendIds(std::string& out, std::span<const TokenId> ids) {
  out += '[';
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    fmt::format_to(std::back_inserter(out), "{}", ids[i]);
  }
  out += ']';
}

std::string Event(const std::string& json) { return "data: " + json + "\n\n"; }

}  // namespace

std::string_view FinishReasonText(FinishReason reason) {
  return reason == FinishReason::kStop ? "stop" : "length";
}

std::string ErrorJson(const ApiError& error) {
  const auto or_null = [](const std::string& s) {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
  };
  return nlohmann::json{{"error",
                         {{"message", error.message},
                          {"type", error.type()},
                          {"param", or_null(error.param)},
                          {"code", or_null(error.code)}}}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ResponseWriter::ResponseWriter(Endpoint endpoint, std::string id, std::int64_t created,
                               std::string_view model, bool return_token_ids,
                               bool continuous_usage_stats)
    : endpoint_(endpoint),
      id_(std::move(id)),
      created_(created),
      model_json_(JsonString(model)),
      return_token_ids_(return_token_ids),
      continuous_usage_stats_(continuous_usage_stats) {}

std::string ResponseWriter::UsageJson(const Usage& usage) {
  return fmt::format(R"({{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{},)"
                     R"("prompt_tokens_details":{{"cached_tokens":{}}}}})",
                     usage.prompt_tokens, usage.completion_tokens,
                     usage.prompt_tokens + usage.completion_tokens, usage.cached_tokens);
}

std::string ResponseWriter::Head() const {
  const bool chat = endpoint_ == Endpoint::kChat;
  return fmt::format(R"({{"id":"{}","object":"{}","created":{},"model":{},)", id_,
                     chat ? "chat.completion.chunk" : "text_completion", created_, model_json_);
}

std::string ResponseWriter::StreamStart(std::span<const TokenId> prompt_tokens) const {
  if (endpoint_ != Endpoint::kChat) return {};
  std::string out = Head();
  if (return_token_ids_) {
    out += R"("prompt_token_ids":)";
    AppendIds(out, prompt_tokens);
    out += ',';
  }
  out += R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,)"
         R"("finish_reason":null}]})";
  return Event(out);
}

std::string ResponseWriter::TokenEvent(std::string_view text, std::span<const TokenId> ids,
                                       std::span<const TokenId> prompt_tokens, const Usage& usage) {
  std::string out = Head();
  out += R"("choices":[{"index":0,)";
  if (endpoint_ == Endpoint::kChat) {
    out += R"("delta":{"content":)" + JsonString(text) + "},";
  } else {
    out += R"("text":)" + JsonString(text) + ',';
  }
  out += R"("logprobs":null,"finish_reason":null)";
  if (return_token_ids_) {
    if (endpoint_ == Endpoint::kCompletions && !prompt_ids_sent_) {
      out += R"(,"prompt_token_ids":)";
      AppendIds(out, prompt_tokens);
      prompt_ids_sent_ = true;
    }
    out += R"(,"token_ids":)";
    AppendIds(out, ids);
  }
  out += "}]";
  if (continuous_usage_stats_) out += R"(,"usage":)" + UsageJson(usage);
  out += '}';
  return Event(out);
}

std::string ResponseWriter::FinishEvent(FinishReason reason, const Usage& usage) const {
  std::string out = Head();
  out += R"("choices":[{"index":0,)";
  out += endpoint_ == Endpoint::kChat ? R"("delta":{},)" : R"("text":"",)";
  out += fmt::format(R"("logprobs":null,"finish_reason":"{}")", FinishReasonText(reason));
  if (return_token_ids_) out += R"(,"token_ids":[])";
  out += "}]";
  if (continuous_usage_stats_) out += R"(,"usage":)" + UsageJson(usage);
  out += '}';
  return Event(out);
}

std::string ResponseWriter::UsageEvent(const Usage& usage) const {
  return Event(Head() + R"("choices":[],"usage":)" + UsageJson(usage) + '}');
}

std::string ResponseWriter::FullResponse(std::string_view text, std::span<const TokenId> ids,
                                         std::span<const TokenId> prompt_tokens,
                                         FinishReason reason, const Usage& usage) const {
  const bool chat = endpoint_ == Endpoint::kChat;
  std::string out =
      fmt::format(R"({{"id":"{}","object":"{}","created":{},"model":{},)", id_,
                  chat ? "chat.completion" : "text_completion", created_, model_json_);
  if (chat && return_token_ids_) {
    out += R"("prompt_token_ids":)";
    AppendIds(out, prompt_tokens);
    out += ',';
  }
  out += R"("choices":[{"index":0,)";
  if (chat) {
    out += R"("message":{"role":"assistant","content":)" + JsonString(text) + "},";
  } else {
    out += R"("text":)" + JsonString(text) + ',';
  }
  out += fmt::format(R"("logprobs":null,"finish_reason":"{}")", FinishReasonText(reason));
  if (return_token_ids_) {
    if (!chat) {
      out += R"(,"prompt_token_ids":)";
      AppendIds(out, prompt_tokens);
    }
    out += R"(,"token_ids":)";
    AppendIds(out, ids);
  }
  out += R"(}],"usage":)" + UsageJson(usage) + '}';
  return out;
}

}  // namespace infermeter::engines::serve
