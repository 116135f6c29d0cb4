#include "openai/chunk_decoder.h"

#include "openai/chunk_fields.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace infermeter::engines::openai {

namespace {

using detail::ChunkFields;
using detail::IsJsonWhitespace;
using detail::JsonText;
using detail::Unescape;
using Json = nlohmann::json;

// ---- The nlohmann path ------------------------------------------------------------------------

// Up to 40 bytes either side of `offset`, printable ASCII kept and other bytes as \xNN.
std::string ExcerptAround(std::string_view data, std::size_t offset) {
  constexpr std::size_t kSide = 40;
  offset = std::min(offset, data.size());
  const std::size_t begin = offset > kSide ? offset - kSide : 0;
  const std::size_t end = std::min(data.size(), offset + kSide);
  std::string out = begin > 0 ? "..." : "";
  for (const char c : data.substr(begin, end - begin)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out.push_back(c);
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  if (end < data.size()) out += "...";
  return out;
}

std::string MalformedAt(std::string_view data, std::size_t offset, std::string_view problem) {
  return fmt::format("malformed chunk: {} (byte {} of {}: '{}')", problem, offset, data.size(),
                     ExcerptAround(data, offset));
}

std::string Malformed(std::string_view data, std::string_view problem) {
  return fmt::format("malformed chunk: {} (data of {} bytes: '{}')", problem, data.size(),
                     ExcerptAround(data, 0));
}

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string_view WithoutExceptionId(std::string_view what) {
  if (what.starts_with("[json.exception.")) {
    if (const auto close = what.find("] "); close != std::string_view::npos) {
      what.remove_prefix(close + 2);
    }
  }
  return what;
}

std::string Describe(const Json& value) {
  const std::string_view type = value.type_name();
  const bool vowel = !type.empty() && std::string_view("aeiou").find(type[0]) != type.npos;
  return fmt::format("{} {}", vowel ? "an" : "a", type);
}

// The member `key` of an object, or nullptr when it is missing or null.
const Json* Member(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string StringMember(const Json& object, const char* key) {
  const Json* value = object.is_object() ? Member(object, key) : nullptr;
  if (value == nullptr) return "";
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number() || value->is_boolean()) return value->dump();
  return "";
}

std::string Dump(const Json& value) {
  constexpr std::size_t kMax = 500;
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > kMax) {
    text.resize(kMax);
    text += "...";
  }
  return text;
}

// The message and type of a server error: {"error": {"message", "type"|"code"}} (vLLM, SGLang,
// llama.cpp, OpenAI), {"error": {"error": {...}}}, {"error": "text", "error_type": ...} (TGI) or
// {"object": "error", "message", "type"} (older vLLM).
std::pair<std::string, std::string> ServerError(const Json& chunk) {
  const Json* error = chunk.is_object() ? Member(chunk, "error") : nullptr;
  if (error == nullptr) error = &chunk;
  if (error->is_string()) return {error->get<std::string>(), StringMember(chunk, "error_type")};
  const Json* body = error;
  if (body->is_object()) {
    if (const Json* inner = Member(*body, "error"); inner != nullptr && inner->is_object()) {
      body = inner;
    }
  }
  std::string message = StringMember(*body, "message");
  std::string type = StringMember(*body, "type");
  if (type.empty()) type = StringMember(*body, "code");
  if (message.empty()) message = Dump(*error);
  return {std::move(message), std::move(type)};
}

// Reads the fields of one chunk from the DOM. Every check the scanner makes is made here too;
// `problem` says what was wrong when it returns false.
class DomReader {
 public:
  std::string problem;

  bool Text(const Json& object, const char* key, std::string_view path, std::string& buffer,
            JsonText& out) {
    const Json* value = Member(object, key);
    if (value == nullptr) return true;
    if (!value->is_string()) return WrongType(path, *value, "a string or null");
    buffer = value->get_ref<const std::string&>();
    out = {buffer, false};
    return true;
  }

  bool Int(const Json& object, const char* key, std::string_view path, std::int64_t& out) {
    const Json* value = Member(object, key);
    if (value == nullptr) return true;
    return IntValue(*value, path, out);
  }

  bool IntValue(const Json& value, std::string_view path, std::int64_t& out) {
    if (!value.is_number_integer()) return WrongType(path, value, "an integer");
    if (value.is_number_unsigned() &&
        value.get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      problem = fmt::format("field '{}' is {}, too large for a 64-bit integer", path, value.dump());
      return false;
    }
    out = value.get<std::int64_t>();
    return true;
  }

  // An object or null; *out is nullptr for null or missing.
  bool ObjectMember(const Json& object, const char* key, std::string_view path, const Json** out) {
    *out = Member(object, key);
    if (*out != nullptr && !(*out)->is_object()) return WrongType(path, **out, "an object or null");
    return true;
  }

  bool ArrayMember(const Json& object, const char* key, std::string_view path, const Json** out) {
    *out = Member(object, key);
    if (*out != nullptr && !(*out)->is_array()) return WrongType(path, **out, "an array or null");
    return true;
  }

  bool WrongType(std::string_view path, const Json& value, std::string_view expected) {
    problem = fmt::format("field '{}' is {}, expected {}", path, Describe(value), expected);
    return false;
  }
};

// Bytes of tool-call names and arguments in a delta's tool_calls (or legacy function_call).
std::int64_t ToolCallBytes(const Json& function) {
  std::int64_t bytes = 0;
  if (!function.is_object()) return 0;
  for (const char* key : {"name", "arguments"}) {
    if (const Json* value = Member(function, key); value != nullptr && value->is_string()) {
      bytes += static_cast<std::int64_t>(value->get_ref<const std::string&>().size());
    }
  }
  return bytes;
}

std::string_view TrimAsciiWhitespace(std::string_view text) {
  while (!text.empty() && IsJsonWhitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsJsonWhitespace(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string_view ToString(ChunkKind kind) {
  switch (kind) {
    case ChunkKind::kTokens:
      return "tokens";
    case ChunkKind::kNoOutput:
      return "no_output";
    case ChunkKind::kUsage:
      return "usage";
    case ChunkKind::kDone:
      return "done";
    case ChunkKind::kError:
      return "error";
  }
  return "unknown";
}

std::string_view ToString(TokenCountSource source) {
  switch (source) {
    case TokenCountSource::kNone:
      return "none";
    case TokenCountSource::kTokenIds:
      return "token_ids";
    case TokenCountSource::kUsageDelta:
      return "usage_delta";
    case TokenCountSource::kEstimate:
      return "estimate";
  }
  return "unknown";
}

ChunkDecoder::ChunkDecoder() : ChunkDecoder(ChunkDecoderOptions{}) {}

ChunkDecoder::ChunkDecoder(ChunkDecoderOptions options) : options_(options) {}

void ChunkDecoder::Reset() {
  usage_on_every_choice_chunk_ = true;
  last_completion_tokens_.clear();
  token_ids_.clear();
}

DecodedChunk ChunkDecoder::Decode(std::string_view data, std::string_view event_type) noexcept {
  try {
    if (event_type == "error") return DecodeErrorEvent(data);
    return DecodeChunk(data);
  } catch (const std::bad_alloc&) {
    DecodedChunk out;
    out.kind = ChunkKind::kError;
    out.error_source = ChunkErrorSource::kMalformed;
    out.error_message = "out of memory while decoding a chunk";
    return out;
  } catch (...) {
    // Not expected: every nlohmann call that can throw is guarded. Still never escapes.
    DecodedChunk out;
    out.kind = ChunkKind::kError;
    out.error_source = ChunkErrorSource::kMalformed;
    out.error_message = "unexpected failure while decoding a chunk";
    return out;
  }
}

DecodedChunk ChunkDecoder::DecodeChunk(std::string_view data) {
  const std::string_view trimmed = TrimAsciiWhitespace(data);
  if (trimmed == "[DONE]") {
    DecodedChunk done;
    done.kind = ChunkKind::kDone;
    return done;
  }
  if (trimmed.empty()) return DecodedChunk{};  // an event with empty data: nothing generated

  ChunkFields fields;
  if (options_.fast_path) {
    if (detail::ScanChunk(data, fields, token_ids_)) {
      ++fast_path_chunks_;
      return Account(fields);
    }
    fields = ChunkFields{};
  }
  ++slow_path_chunks_;
  DecodedChunk error;
  if (!DecodeSlow(data, fields, error)) return error;
  return Account(fields);
}

DecodedChunk ChunkDecoder::DecodeErrorEvent(std::string_view data) {
  const std::string_view trimmed = TrimAsciiWhitespace(data);
  Json json;
  try {
    json = Json::parse(trimmed.begin(), trimmed.end());
  } catch (const Json::exception&) {
    // Not JSON: the data is the message.
    constexpr std::size_t kMax = 1000;
    std::string message(trimmed.substr(0, kMax));
    if (trimmed.size() > kMax) message += "...";
    if (message.empty()) message = "the server sent an error event without data";
    return Error(ChunkErrorSource::kServer, std::move(message), "");
  }
  auto [message, type] = ServerError(json);
  return Error(ChunkErrorSource::kServer, std::move(message), std::move(type));
}

bool ChunkDecoder::DecodeSlow(std::string_view data, ChunkFields& f, DecodedChunk& error) {
  token_ids_.clear();
  Json json;
  try {
    json = Json::parse(data.begin(), data.end());
  } catch (const Json::parse_error& e) {
    const std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    error = Error(ChunkErrorSource::kMalformed,
                  MalformedAt(data, offset, WithoutExceptionId(e.what())), "");
    return false;
  } catch (const Json::exception& e) {  // e.g. a number too large for a double
    error = Error(ChunkErrorSource::kMalformed, Malformed(data, WithoutExceptionId(e.what())), "");
    return false;
  }

  DomReader read;
  const auto fail = [&] {
    error = Error(ChunkErrorSource::kMalformed, Malformed(data, read.problem), "");
    return false;
  };
  if (!json.is_object()) {
    read.problem = fmt::format("the chunk is {}, expected a JSON object", Describe(json));
    return fail();
  }
  const Json* object_type = Member(json, "object");
  if (Member(json, "error") != nullptr ||
      (object_type != nullptr && object_type->is_string() && *object_type == "error")) {
    auto [message, type] = ServerError(json);
    error = Error(ChunkErrorSource::kServer, std::move(message), std::move(type));
    return false;
  }

  const Json* choices = nullptr;
  if (!read.ArrayMember(json, "choices", "choices", &choices)) return fail();
  if (choices != nullptr && !choices->empty()) {
    f.choice_count = static_cast<std::int64_t>(choices->size());
    const Json& choice = (*choices)[0];
    if (!choice.is_object()) {
      read.WrongType("choices[0]", choice, "an object");
      return fail();
    }
    if (!read.Int(choice, "index", "choices[0].index", f.choice_index) ||
        !read.Text(choice, "text", "choices[0].text", text_buffer_, f.text) ||
        !read.Text(choice, "finish_reason", "choices[0].finish_reason", finish_buffer_,
                   f.finish_reason)) {
      return fail();
    }
    const Json* delta = nullptr;
    if (!read.ObjectMember(choice, "delta", "choices[0].delta", &delta)) return fail();
    if (delta != nullptr) {
      if (!read.Text(*delta, "content", "choices[0].delta.content", content_buffer_, f.content) ||
          !read.Text(*delta, "reasoning_content", "choices[0].delta.reasoning_content",
                     reasoning_content_buffer_, f.reasoning_content) ||
          !read.Text(*delta, "reasoning", "choices[0].delta.reasoning", reasoning_buffer_,
                     f.reasoning) ||
          !read.Text(*delta, "refusal", "choices[0].delta.refusal", refusal_buffer_, f.refusal)) {
        return fail();
      }
      const Json* tool_calls = nullptr;
      if (!read.ArrayMember(*delta, "tool_calls", "choices[0].delta.tool_calls", &tool_calls)) {
        return fail();
      }
      if (tool_calls != nullptr) {
        for (const Json& call : *tool_calls) {
          if (const Json* function = call.is_object() ? Member(call, "function") : nullptr) {
            f.tool_call_bytes += ToolCallBytes(*function);
          }
        }
      }
      const Json* function_call = nullptr;
      if (!read.ObjectMember(*delta, "function_call", "choices[0].delta.function_call",
                             &function_call)) {
        return fail();
      }
      if (function_call != nullptr) f.tool_call_bytes += ToolCallBytes(*function_call);
    }
    const Json* token_ids = nullptr;
    if (!read.ArrayMember(choice, "token_ids", "choices[0].token_ids", &token_ids)) {
      return fail();
    }
    if (token_ids != nullptr) {
      f.has_token_ids = true;
      for (std::size_t i = 0; i < token_ids->size(); ++i) {
        const std::string path = fmt::format("choices[0].token_ids[{}]", i);
        std::int64_t id = 0;
        if (!read.IntValue((*token_ids)[i], path, id)) return fail();
        if (id < std::numeric_limits<TokenId>::min() || id > std::numeric_limits<TokenId>::max()) {
          read.problem = fmt::format("field '{}' is {}, out of the range of a token id", path, id);
          return fail();
        }
        token_ids_.push_back(static_cast<TokenId>(id));
      }
    }
    const Json* prompt_ids = nullptr;
    if (!read.ArrayMember(choice, "prompt_token_ids", "choices[0].prompt_token_ids", &prompt_ids)) {
      return fail();
    }
    if (prompt_ids != nullptr) {
      f.choice_prompt_token_count = static_cast<std::int64_t>(prompt_ids->size());
    }
  }

  const Json* usage = nullptr;
  if (!read.ObjectMember(json, "usage", "usage", &usage)) return fail();
  if (usage != nullptr) {
    ChunkUsage u;
    const Json* prompt_details = nullptr;
    const Json* completion_details = nullptr;
    if (!read.Int(*usage, "prompt_tokens", "usage.prompt_tokens", u.prompt_tokens) ||
        !read.Int(*usage, "completion_tokens", "usage.completion_tokens", u.completion_tokens) ||
        !read.Int(*usage, "total_tokens", "usage.total_tokens", u.total_tokens) ||
        !read.ObjectMember(*usage, "prompt_tokens_details", "usage.prompt_tokens_details",
                           &prompt_details) ||
        !read.ObjectMember(*usage, "completion_tokens_details", "usage.completion_tokens_details",
                           &completion_details)) {
      return fail();
    }
    std::int64_t value = 0;
    if (prompt_details != nullptr && Member(*prompt_details, "cached_tokens") != nullptr) {
      if (!read.Int(*prompt_details, "cached_tokens", "usage.prompt_tokens_details.cached_tokens",
                    value)) {
        return fail();
      }
      u.cached_tokens = value;
    }
    if (completion_details != nullptr &&
        Member(*completion_details, "reasoning_tokens") != nullptr) {
      if (!read.Int(*completion_details, "reasoning_tokens",
                    "usage.completion_tokens_details.reasoning_tokens", value)) {
        return fail();
      }
      u.reasoning_tokens = value;
    }
    f.usage = u;
  }

  const Json* prompt_ids = nullptr;
  if (!read.ArrayMember(json, "prompt_token_ids", "prompt_token_ids", &prompt_ids)) return fail();
  if (prompt_ids != nullptr) f.prompt_token_count = static_cast<std::int64_t>(prompt_ids->size());
  return true;
}

DecodedChunk ChunkDecoder::Account(const ChunkFields& f) {
  const auto materialize = [](const JsonText& text, std::string& buffer) -> std::string_view {
    if (!text.escaped) return text.raw;
    Unescape(text.raw, buffer);
    return buffer;
  };
  DecodedChunk out;
  out.choice_count = f.choice_count;
  out.choice_index = f.choice_index;
  // Completions send `text`, chat sends `delta.content`; a server sending both is read as text.
  out.text = f.text.raw.empty() ? materialize(f.content, content_buffer_)
                                : materialize(f.text, text_buffer_);
  out.reasoning = f.reasoning.raw.empty()
                      ? materialize(f.reasoning_content, reasoning_content_buffer_)
                      : materialize(f.reasoning, reasoning_buffer_);
  out.refusal = materialize(f.refusal, refusal_buffer_);
  out.finish_reason = materialize(f.finish_reason, finish_buffer_);
  out.tool_call_bytes = f.tool_call_bytes;
  out.usage = f.usage;
  out.prompt_token_count =
      f.choice_prompt_token_count ? f.choice_prompt_token_count : f.prompt_token_count;
  if (f.has_token_ids) out.token_ids = token_ids_;

  if (f.choice_count == 0) {
    out.kind = f.usage ? ChunkKind::kUsage : ChunkKind::kNoOutput;
    return out;
  }

  // Continuous usage: the change of completion_tokens counts this chunk's tokens exactly, as long
  // as every chunk with choices so far carried usage (otherwise a usage object on the last chunk
  // would count the whole response as that chunk's).
  std::optional<std::int64_t> usage_delta;
  if (!f.usage) {
    usage_on_every_choice_chunk_ = false;
  } else if (f.choice_index >= 0 && f.choice_index < 4096) {
    const auto index = static_cast<std::size_t>(f.choice_index);
    if (last_completion_tokens_.size() <= index) last_completion_tokens_.resize(index + 1, 0);
    const std::int64_t delta = f.usage->completion_tokens - last_completion_tokens_[index];
    if (usage_on_every_choice_chunk_ && delta >= 0) usage_delta = delta;
    last_completion_tokens_[index] = f.usage->completion_tokens;
  }

  const bool has_output = !out.text.empty() || !out.reasoning.empty() || !out.refusal.empty() ||
                          out.tool_call_bytes > 0;
  if (f.has_token_ids) {
    out.token_count = static_cast<std::int64_t>(token_ids_.size());
    out.count_source = TokenCountSource::kTokenIds;
  } else if (usage_delta) {
    out.token_count = *usage_delta;
    out.count_source = TokenCountSource::kUsageDelta;
  } else if (has_output) {
    out.token_count = 1;
    out.count_source = TokenCountSource::kEstimate;
  }
  out.kind = has_output || out.token_count > 0 ? ChunkKind::kTokens : ChunkKind::kNoOutput;
  return out;
}

DecodedChunk ChunkDecoder::Error(ChunkErrorSource source, std::string message, std::string type) {
  error_message_ = std::move(message);
  error_type_ = std::move(type);
  DecodedChunk out;
  out.kind = ChunkKind::kError;
  out.error_source = source;
  out.error_message = error_message_;
  out.error_type = error_type_;
  return out;
}

}  // namespace infermeter::engines::openai
