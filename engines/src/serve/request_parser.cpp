#include "serve/request_parser.h"

#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "serve/api_error.h"
#include "serve/chat_template.h"

namespace infermeter::engines::serve {
namespace {

using nlohmann::json;

[[noreturn]] void Fail(std::string param, std::string message, std::string code = "invalid_value") {
  throw ApiException({.status = 400,
                      .message = std::move(message),
                      .param = std::move(param),
                      .code = std::move(code)});
}

[[noreturn]] void WrongType(const std::string& field, std::string_view expected) {
  Fail(field, fmt::format("'{}' must be {}", field, expected), "invalid_type");
}

// The field's value, or nullptr when it is absent or null (both mean "default").
const json* Get(const json& object, const char* field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

bool GetBool(const json& object, const char* field, bool fallback) {
  const json* value = Get(object, field);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) WrongType(field, "a boolean");
  return value->get<bool>();
}

std::int64_t GetInt(const json& object, const char* field, std::int64_t fallback) {
  const json* value = Get(object, field);
  if (value == nullptr) return fallback;
  if (!value->is_number_integer()) WrongType(field, "an integer");
  return value->get<std::int64_t>();
}

double GetNumber(const json& object, const char* field, double fallback) {
  const json* value = Get(object, field);
  if (value == nullptr) return fallback;
  if (!value->is_number()) WrongType(field, "a number");
  return value->get<double>();
}

// Token ids of one prompt given as an array of integers.
std::vector<TokenId> TokenIds(const json& array, const std::string& field,
                              const ServedModel& model) {
  std::vector<TokenId> ids;
  ids.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    const json& id = array[i];
    if (!id.is_number_integer()) {
      WrongType(fmt::format("{}[{}]", field, i), "an integer token id");
    }
    const auto value = id.get<std::int64_t>();
    if (value < 0 || value >= model.vocab_size) {
      Fail(field, fmt::format("token id {} at '{}[{}]' is outside the vocabulary of {} ids", value,
                              field, i, model.vocab_size));
    }
    ids.push_back(static_cast<TokenId>(value));
  }
  return ids;
}

// `prompt` of /v1/completions: a string, an array of token ids, or a one-element array of
// either. Several prompts in one request (OpenAI's batch form) are refused.
std::vector<TokenId> CompletionPrompt(const json& body, const ServedModel& model) {
  const json* prompt = Get(body, "prompt");
  if (prompt == nullptr) Fail("prompt", "'prompt' is required", "missing_field");
  if (prompt->is_string()) return model.encode(prompt->get<std::string>());
  if (!prompt->is_array()) {
    WrongType("prompt", "a string, an array of token ids, or an array with one of those");
  }
  if (!prompt->empty() && ((*prompt)[0].is_string() || (*prompt)[0].is_array())) {
    if (prompt->size() != 1) {
      Fail("prompt",
           fmt::format("'prompt' holds {} prompts; batched prompts are not supported, send one "
                       "prompt per request",
                       prompt->size()),
           "unsupported_value");
    }
    const json& only = (*prompt)[0];
    if (only.is_string()) return model.encode(only.get<std::string>());
    return TokenIds(only, "prompt[0]", model);
  }
  return TokenIds(*prompt, "prompt", model);
}

void RefuseUnsupported(const json& body, Endpoint endpoint) {
  if (GetInt(body, "n", 1) != 1) {
    Fail("n", "'n' must be 1: one choice per request is supported", "unsupported_value");
  }
  if (GetInt(body, "best_of", 1) != 1) {
    Fail("best_of", "'best_of' must be 1", "unsupported_value");
  }
  if (endpoint == Endpoint::kCompletions) {
    if (Get(body, "logprobs") != nullptr) {
      Fail("logprobs", "'logprobs' is not supported", "unsupported_value");
    }
    if (GetBool(body, "echo", false)) {
      Fail("echo", "'echo' is not supported", "unsupported_value");
    }
  } else if (GetBool(body, "logprobs", false)) {
    Fail("logprobs", "'logprobs' is not supported", "unsupported_value");
  }
}

// `stop`: a string or an array of strings; accepted and ignored (docs/SERVE.md).
void CheckStop(const json& body) {
  const json* stop = Get(body, "stop");
  if (stop == nullptr || stop->is_string()) return;
  if (!stop->is_array()) WrongType("stop", "a string or an array of strings");
  for (const json& item : *stop) {
    if (!item.is_string()) WrongType("stop", "a string or an array of strings");
  }
}

void ReadSampling(const json& body, ParsedRequest& request) {
  // OpenAI's and vLLM's default temperature is 1 (sampling); 0 is greedy.
  request.sampling.temperature = GetNumber(body, "temperature", 1.0);
  if (request.sampling.temperature < 0 || request.sampling.temperature > 2) {
    Fail("temperature", "'temperature' must be between 0 and 2");
  }
  request.sampling.top_p = GetNumber(body, "top_p", 1.0);
  if (!(request.sampling.top_p > 0 && request.sampling.top_p <= 1)) {
    Fail("top_p", "'top_p' must be in (0, 1]");
  }
  const std::int64_t top_k = GetInt(body, "top_k", 0);
  if (top_k < -1) Fail("top_k", "'top_k' must be -1 or 0 (no cut) or positive");
  request.sampling.top_k = top_k <= 0 ? 0
                                      : static_cast<std::int32_t>(std::min<std::int64_t>(
                                            top_k, std::numeric_limits<std::int32_t>::max()));
  if (Get(body, "seed") != nullptr) {
    request.sampling.seed = static_cast<std::uint64_t>(GetInt(body, "seed", 0));
    request.seeded = true;
  }
}

void ReadStreamOptions(const json& body, ParsedRequest& request) {
  request.stream = GetBool(body, "stream", false);
  const json* options = Get(body, "stream_options");
  if (options == nullptr) return;
  if (!options->is_object()) WrongType("stream_options", "an object");
  if (!request.stream) {
    Fail("stream_options", "'stream_options' is only allowed when 'stream' is true");
  }
  const auto flag = [&](const char* name) {
    const auto it = options->find(name);
    if (it == options->end() || it->is_null()) return false;
    if (!it->is_boolean()) WrongType(fmt::format("stream_options.{}", name), "a boolean");
    return it->get<bool>();
  };
  request.include_usage = flag("include_usage");
  request.continuous_usage_stats = flag("continuous_usage_stats");
}

std::int64_t MaxTokens(const json& body, Endpoint endpoint) {
  const char* field = "max_tokens";
  std::int64_t max_tokens = GetInt(body, "max_tokens", 16);
  if (endpoint == Endpoint::kChat && Get(body, "max_completion_tokens") != nullptr) {
    field = "max_completion_tokens";
    max_tokens = GetInt(body, field, 16);
  }
  if (max_tokens < 1) Fail(field, fmt::format("'{}' must be at least 1", field));
  return max_tokens;
}

}  // namespace

ParsedRequest ParseRequest(Endpoint endpoint, std::string_view body_text,
                           const ServedModel& model) {
  json body;
  try {
    body = json::parse(body_text);
  } catch (const json::parse_error& e) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 30: ..."; the
    // bracketed id means nothing to a client.
    std::string_view detail = e.what();
    if (const auto bracket = detail.find("] "); bracket != std::string_view::npos) {
      detail.remove_prefix(bracket + 2);
    }
    Fail("", fmt::format("the request body is not valid JSON (at byte {}): {}", e.byte, detail),
         "invalid_json");
  }
  if (!body.is_object()) Fail("", "the request body must be a JSON object", "invalid_json");

  const json* name = Get(body, "model");
  if (name == nullptr) Fail("model", "'model' is required", "missing_field");
  if (!name->is_string()) WrongType("model", "a string");
  if (*name != model.name) {
    throw ApiException({.status = 404,
                        .message = fmt::format("The model `{}` does not exist; this server serves "
                                               "`{}`",
                                               name->get<std::string>(), model.name),
                        .param = "model",
                        .code = "model_not_found"});
  }

  ParsedRequest request;
  request.endpoint = endpoint;
  RefuseUnsupported(body, endpoint);
  CheckStop(body);
  if (endpoint == Endpoint::kCompletions) {
    request.prompt_tokens = CompletionPrompt(body, model);
  } else {
    const json* messages = Get(body, "messages");
    if (messages == nullptr) Fail("messages", "'messages' is required", "missing_field");
    request.prompt_tokens = model.encode(RenderChatPrompt(*messages));
  }
  if (request.prompt_tokens.empty()) {
    Fail(endpoint == Endpoint::kChat ? "messages" : "prompt", "the prompt is empty");
  }
  request.max_tokens = MaxTokens(body, endpoint);
  request.min_tokens = GetInt(body, "min_tokens", 0);
  if (request.min_tokens < 0 || request.min_tokens > request.max_tokens) {
    Fail("min_tokens", "'min_tokens' must be between 0 and max_tokens");
  }
  request.ignore_eos = GetBool(body, "ignore_eos", false);
  request.return_token_ids = GetBool(body, "return_token_ids", false);
  ReadStreamOptions(body, request);
  ReadSampling(body, request);

  const auto prompt = static_cast<std::int64_t>(request.prompt_tokens.size());
  if (model.max_model_len > 0 && prompt + request.max_tokens > model.max_model_len) {
    // vLLM's wording, so that tools that recognise it keep doing so.
    Fail(endpoint == Endpoint::kChat ? "messages" : "prompt",
         fmt::format("This model's maximum context length is {} tokens. However, you requested "
                     "{} tokens ({} in the {}, {} in the completion). Please reduce the length "
                     "of the {} or completion.",
                     model.max_model_len, prompt + request.max_tokens, prompt,
                     endpoint == Endpoint::kChat ? "messages" : "prompt", request.max_tokens,
                     endpoint == Endpoint::kChat ? "messages" : "prompt"),
         "context_length_exceeded");
  }
  return request;
}

}  // namespace infermeter::engines::serve
