#include "openai/request_body.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/core/error.h"

namespace infermeter::engines::openai {
namespace {

// A JSON string literal (quotes and escapes) for `text`; invalid UTF-8 is replaced, not thrown.
std::string Quoted(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The members every body has after the prompt or messages.
void AppendCommon(const BodySettings& settings, const EngineRequest& request, std::string& out) {
  fmt::format_to(std::back_inserter(out), R"(,"max_tokens":{},"stream":true)",
                 request.max_output_tokens);
  out += R"(,"stream_options":{"include_usage":true)";
  if (settings.continuous_usage_stats) out += R"(,"continuous_usage_stats":true)";
  out += '}';
  if (settings.exact_output_lengths && request.ignore_eos) {
    fmt::format_to(std::back_inserter(out), R"(,"ignore_eos":true,"min_tokens":{})",
                   request.max_output_tokens);
  }
  if (settings.return_token_ids) out += R"(,"return_token_ids":true)";
  const SamplingParams& sampling = request.sampling;
  fmt::format_to(std::back_inserter(out), R"(,"temperature":{})", sampling.temperature);
  if (sampling.top_p != 1.0)
    fmt::format_to(std::back_inserter(out), R"(,"top_p":{})", sampling.top_p);
  if (sampling.top_k > 0) fmt::format_to(std::back_inserter(out), R"(,"top_k":{})", sampling.top_k);
  if (sampling.temperature > 0) {
    fmt::format_to(std::back_inserter(out), R"(,"seed":{})", sampling.seed);
  }
  if (!settings.extra_members.empty()) {
    out += ',';
    out += settings.extra_members;
  }
  out += '}';
}

}  // namespace

std::string ExtraBodyMembers(std::string_view extra_body_json, std::string_view option) {
  if (extra_body_json.empty()) return {};
  nlohmann::json extra;
  try {
    extra = nlohmann::json::parse(extra_body_json);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError({.source = "<command line>", .field = std::string(option)},
                     fmt::format("not valid JSON: {}", e.what()));
  }
  if (!extra.is_object()) {
    throw InputError(
        {.source = "<command line>", .field = std::string(option)},
        fmt::format("expected a JSON object such as {{\"top_k\": 1}}, got {}", extra.type_name()));
  }
  if (extra.empty()) return {};
  const std::string dumped = extra.dump();
  return dumped.substr(1, dumped.size() - 2);
}

std::string CompletionsBody(const BodySettings& settings, const EngineRequest& request,
                            const std::string* text) {
  std::string out;
  out.reserve(64 + (text != nullptr ? text->size() + 16 : request.prompt_tokens.size() * 7));
  out += R"({"model":)";
  out += Quoted(settings.model);
  out += R"(,"prompt":)";
  if (text != nullptr) {
    out += Quoted(*text);
  } else {
    fmt::format_to(std::back_inserter(out), "[{}]", fmt::join(request.prompt_tokens, ","));
  }
  AppendCommon(settings, request, out);
  return out;
}

std::string ChatBody(const BodySettings& settings, const EngineRequest& request,
                     std::span<const ChatMessage> messages) {
  std::string out;
  out += R"({"model":)";
  out += Quoted(settings.model);
  out += R"(,"messages":[)";
  bool first = true;
  for (const ChatMessage& message : messages) {
    if (!first) out += ',';
    first = false;
    out += R"({"role":)";
    out += Quoted(message.role);
    out += R"(,"content":)";
    out += Quoted(message.content);
    out += '}';
  }
  out += ']';
  AppendCommon(settings, request, out);
  return out;
}

}  // namespace infermeter::engines::openai
