#include "openai/chunk_decoder.h"

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

namespace detail {

// A JSON string as it stands between its quotes in the data; `escaped` when it holds backslash
// escapes still to be undone. The nlohmann path stores unescaped copies (escaped = false).
struct JsonText {
  std::string_view raw;
  bool escaped = false;
};

struct ChunkFields {
  std::int64_t choice_count = 0;  // elements of `choices` (0 when absent or null)
  std::int64_t choice_index = 0;
  JsonText text;
  JsonText content;
  JsonText reasoning;
  JsonText reasoning_content;
  JsonText refusal;
  JsonText finish_reason;
  std::int64_t tool_call_bytes = 0;
  bool has_token_ids = false;  // choices[0].token_ids was an array; its ids are in token_ids_
  std::optional<ChunkUsage> usage;
  std::optional<std::int64_t> prompt_token_count;         // top-level prompt_token_ids (chat)
  std::optional<std::int64_t> choice_prompt_token_count;  // choices[0].prompt_token_ids
};

}  // namespace detail

namespace {

using detail::ChunkFields;
using detail::JsonText;
using Json = nlohmann::json;

// Deeper values are left to nlohmann, whose parser does not recurse.
constexpr int kMaxScanDepth = 32;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsJsonWhitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Bytes a JSON string may hold as they are: printable ASCII except '"' and '\\'.
constexpr std::array<bool, 256> kPlainStringByte = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

// The length of the well-formed UTF-8 sequence at `p` (whose first byte is >= 0x80), or 0 when
// it is ill-formed: overlong, a surrogate, above U+10FFFF or cut short (RFC 3629, the rules
// nlohmann applies).
int Utf8SequenceLength(const char* p, const char* end) {
  const auto byte = [&](std::ptrdiff_t i) -> unsigned {
    return p + i < end ? static_cast<unsigned char>(p[i]) : 0u;
  };
  const auto continuation = [&](std::ptrdiff_t i) { return (byte(i) & 0xC0u) == 0x80u; };
  const unsigned lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned low = lead == 0xE0 ? 0xA0 : 0x80;   // no overlongs
    const unsigned high = lead == 0xED ? 0x9F : 0xBF;  // no surrogates
    return byte(1) >= low && byte(1) <= high && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned low = lead == 0xF0 ? 0x90 : 0x80;   // no overlongs
    const unsigned high = lead == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
    return byte(1) >= low && byte(1) <= high && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

void AppendUtf8(std::uint32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

std::uint32_t Hex4At(std::string_view raw, std::size_t at) {
  std::uint32_t unit = 0;
  for (std::size_t i = at; i < at + 4; ++i) {
    unit = unit * 16 + static_cast<std::uint32_t>(HexValue(raw[i]));
  }
  return unit;
}

// Undoes the escapes of a string the scanner has already validated.
void Unescape(std::string_view raw, std::string& out) {
  out.clear();
  std::size_t i = 0;
  while (i < raw.size()) {
    const std::size_t slash = raw.find('\\', i);
    if (slash == std::string_view::npos) {
      out.append(raw.substr(i));
      break;
    }
    out.append(raw.substr(i, slash - i));
    const char kind = raw[slash + 1];
    i = slash + 2;
    switch (kind) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        std::uint32_t code_point = Hex4At(raw, i);
        i += 4;
        if (code_point >= 0xD800 && code_point <= 0xDBFF) {  // a high surrogate: "\uDC00" follows
          const std::uint32_t low = Hex4At(raw, i + 2);
          i += 6;
          code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(code_point, out);
        break;
      }
      default:
        out.push_back(kind);
        break;  // '"', '\\', '/'
    }
  }
}

// The scanner: one pass over the data that reads the shapes of chunk the servers send and skips
// (while validating) everything else. It gives up, returning false, on anything it is not sure
// about -- invalid JSON, a field of an unexpected type, an escaped key, a duplicate key it reads,
// an error object, tool calls, nesting deeper than kMaxScanDepth, numbers a double cannot hold --
// and the caller then asks nlohmann, whose answer is authoritative. So it never has to word an
// error, and it accepts only what nlohmann would accept.
class Scanner {
 public:
  Scanner(std::string_view data, std::vector<TokenId>& token_ids)
      : p_(data.data()), end_(data.data() + data.size()), token_ids_(token_ids) {}

  bool Chunk(ChunkFields& f) {
    unsigned seen = 0;
    const bool ok = Object([&](std::string_view key) {
      if (key == "choices") return Once(seen, 1) && Choices(f);
      if (key == "usage") return Once(seen, 2) && Usage(f);
      if (key == "prompt_token_ids") return Once(seen, 4) && CountOrNull(f.prompt_token_count);
      if (key == "error") return Null();  // an error object: left to nlohmann
      if (key == "object") return Once(seen, 8) && ObjectType();
      return SkipValue(1);
    });
    return ok && AtEnd();
  }

 private:
  static bool Once(unsigned& seen, unsigned bit) {
    if ((seen & bit) != 0) return false;
    seen |= bit;
    return true;
  }

  bool ObjectType() {
    if (!Peek('"')) return SkipValue(1);
    JsonText type;
    // {"object": "error", "message": ...} is an error (older vLLM): left to nlohmann.
    return String(type) && !type.escaped && type.raw != "error";
  }

  bool Choices(ChunkFields& f) {
    if (Null()) return true;
    if (!Consume('[')) return false;
    if (Consume(']')) return true;
    if (!Choice(f)) return false;
    f.choice_count = 1;
    while (Consume(',')) {
      if (!SkipValue(2)) return false;
      ++f.choice_count;
    }
    return Consume(']');
  }

  bool Choice(ChunkFields& f) {
    unsigned seen = 0;
    return Object([&](std::string_view key) {
      if (key == "index") return Once(seen, 1) && IntOrNull(f.choice_index);
      if (key == "text") return Once(seen, 2) && StringOrNull(f.text);
      if (key == "delta") return Once(seen, 4) && (Null() || Delta(f));
      if (key == "finish_reason") return Once(seen, 8) && StringOrNull(f.finish_reason);
      if (key == "token_ids") return Once(seen, 16) && TokenIds(f);
      if (key == "prompt_token_ids") {
        return Once(seen, 32) && CountOrNull(f.choice_prompt_token_count);
      }
      return SkipValue(3);
    });
  }

  bool Delta(ChunkFields& f) {
    unsigned seen = 0;
    return Object([&](std::string_view key) {
      if (key == "content") return Once(seen, 1) && StringOrNull(f.content);
      if (key == "reasoning_content") return Once(seen, 2) && StringOrNull(f.reasoning_content);
      if (key == "reasoning") return Once(seen, 4) && StringOrNull(f.reasoning);
      if (key == "refusal") return Once(seen, 8) && StringOrNull(f.refusal);
      if (key == "tool_calls") return EmptyArrayOrNull();  // tool calls: left to nlohmann
      if (key == "function_call") return Null();
      return SkipValue(4);
    });
  }

  bool Usage(ChunkFields& f) {
    if (Null()) return true;
    ChunkUsage usage;
    unsigned seen = 0;
    const bool ok = Object([&](std::string_view key) {
      if (key == "prompt_tokens") return Once(seen, 1) && IntOrNull(usage.prompt_tokens);
      if (key == "completion_tokens") return Once(seen, 2) && IntOrNull(usage.completion_tokens);
      if (key == "total_tokens") return Once(seen, 4) && IntOrNull(usage.total_tokens);
      if (key == "prompt_tokens_details") {
        return Once(seen, 8) && Details("cached_tokens", usage.cached_tokens);
      }
      if (key == "completion_tokens_details") {
        return Once(seen, 16) && Details("reasoning_tokens", usage.reasoning_tokens);
      }
      return SkipValue(2);
    });
    if (ok) f.usage = usage;
    return ok;
  }

  // {"cached_tokens": 12, ...} or null: reads the one member `wanted`.
  bool Details(std::string_view wanted, std::optional<std::int64_t>& out) {
    if (Null()) return true;
    unsigned seen = 0;
    return Object([&](std::string_view key) {
      if (key != wanted) return SkipValue(3);
      if (!Once(seen, 1)) return false;
      if (Null()) return true;
      std::int64_t value = 0;
      if (!Int(value)) return false;
      out = value;
      return true;
    });
  }

  bool TokenIds(ChunkFields& f) {
    if (Null()) return true;
    if (!Consume('[')) return false;
    f.has_token_ids = true;
    token_ids_.clear();
    if (Consume(']')) return true;
    do {
      std::int64_t id = 0;
      if (!Int(id) || id < std::numeric_limits<TokenId>::min() ||
          id > std::numeric_limits<TokenId>::max()) {
        return false;
      }
      token_ids_.push_back(static_cast<TokenId>(id));
    } while (Consume(','));
    return Consume(']');
  }

  // An array (its length goes to `count`) or null.
  bool CountOrNull(std::optional<std::int64_t>& count) {
    if (Null()) return true;
    if (!Consume('[')) return false;
    std::int64_t n = 0;
    if (!Consume(']')) {
      do {
        if (!SkipValue(3)) return false;
        ++n;
      } while (Consume(','));
      if (!Consume(']')) return false;
    }
    count = n;
    return true;
  }

  bool EmptyArrayOrNull() {
    if (Null()) return true;
    return Consume('[') && Consume(']');
  }

  bool StringOrNull(JsonText& out) {
    if (Null()) {
      out = {};
      return true;
    }
    return String(out);
  }

  bool IntOrNull(std::int64_t& out) { return Null() || Int(out); }

  template <typename OnMember>
  bool Object(OnMember&& on_member) {
    if (!Consume('{')) return false;
    if (Consume('}')) return true;
    do {
      JsonText key;
      if (!String(key) || key.escaped || !Consume(':') || !on_member(key.raw)) return false;
    } while (Consume(','));
    return Consume('}');
  }

  bool SkipValue(int depth) {
    SkipWhitespace();
    if (p_ == end_) return false;
    switch (*p_) {
      case '"': {
        JsonText ignored;
        return String(ignored);
      }
      case '{':
        return depth < kMaxScanDepth &&
               Object([&](std::string_view) { return SkipValue(depth + 1); });
      case '[':
        if (depth >= kMaxScanDepth) return false;
        ++p_;
        if (Consume(']')) return true;
        do {
          if (!SkipValue(depth + 1)) return false;
        } while (Consume(','));
        return Consume(']');
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return SkipNumber();
    }
  }

  // A string, validated (escapes, surrogate pairs, UTF-8, no control characters).
  bool String(JsonText& out) {
    SkipWhitespace();
    if (p_ == end_ || *p_ != '"') return false;
    const char* const begin = ++p_;
    bool escaped = false;
    for (;;) {
      while (p_ != end_ && kPlainStringByte[static_cast<unsigned char>(*p_)]) ++p_;
      if (p_ == end_) return false;
      if (*p_ == '"') break;
      if (*p_ == '\\') {
        if (!Escape()) return false;
        escaped = true;
        continue;
      }
      if (static_cast<unsigned char>(*p_) < 0x20) return false;  // a raw control character
      const int length = Utf8SequenceLength(p_, end_);
      if (length == 0) return false;
      p_ += length;
    }
    out = {std::string_view(begin, static_cast<std::size_t>(p_ - begin)), escaped};
    ++p_;
    return true;
  }

  // At a backslash: steps over one escape; a high surrogate \uD8xx must come with a low one.
  bool Escape() {
    ++p_;
    if (p_ == end_) return false;
    const char kind = *p_++;
    if (kind != 'u') {
      return kind == '"' || kind == '\\' || kind == '/' || kind == 'b' || kind == 'f' ||
             kind == 'n' || kind == 'r' || kind == 't';
    }
    std::uint32_t unit = 0;
    if (!Hex4(unit)) return false;
    if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // a low surrogate alone
    if (unit < 0xD800 || unit > 0xDBFF) return true;
    if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
    p_ += 2;
    return Hex4(unit) && unit >= 0xDC00 && unit <= 0xDFFF;
  }

  bool Hex4(std::uint32_t& unit) {
    if (end_ - p_ < 4) return false;
    unit = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = HexValue(p_[i]);
      if (digit < 0) return false;
      unit = unit * 16 + static_cast<std::uint32_t>(digit);
    }
    p_ += 4;
    return true;
  }

  // An integer without fraction or exponent and with at most 18 digits (anything else: false).
  bool Int(std::int64_t& out) {
    SkipWhitespace();
    const char* q = p_;
    const bool negative = q != end_ && *q == '-';
    if (negative) ++q;
    if (q == end_ || !IsDigit(*q)) return false;
    std::int64_t value = 0;
    if (*q == '0') {
      ++q;
    } else {
      const char* const first = q;
      for (; q != end_ && IsDigit(*q); ++q) {
        if (q - first == 18) return false;
        value = value * 10 + (*q - '0');
      }
    }
    if (q != end_ && (*q == '.' || *q == 'e' || *q == 'E')) return false;
    out = negative ? -value : value;
    p_ = q;
    return true;
  }

  bool SkipNumber() {
    const char* q = p_;
    if (q != end_ && *q == '-') ++q;
    if (q == end_ || !IsDigit(*q)) return false;
    const char* const digits = q;
    if (*q == '0') {
      ++q;
    } else {
      while (q != end_ && IsDigit(*q)) ++q;
    }
    bool small_integer = q - digits <= 18;
    if (q != end_ && *q == '.') {
      ++q;
      if (q == end_ || !IsDigit(*q)) return false;
      while (q != end_ && IsDigit(*q)) ++q;
      small_integer = false;
    }
    if (q != end_ && (*q == 'e' || *q == 'E')) {
      ++q;
      if (q != end_ && (*q == '+' || *q == '-')) ++q;
      if (q == end_ || !IsDigit(*q)) return false;
      while (q != end_ && IsDigit(*q)) ++q;
      small_integer = false;
    }
    if (!small_integer) {
      // nlohmann rejects numbers a double cannot hold; those (and underflows) are left to it.
      double value = 0;
      const auto result = std::from_chars(p_, q, value);
      if (result.ec != std::errc() || result.ptr != q || !std::isfinite(value)) return false;
    }
    p_ = q;
    return true;
  }

  bool Literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool Null() {
    SkipWhitespace();
    return Literal("null");
  }

  void SkipWhitespace() {
    while (p_ != end_ && IsJsonWhitespace(*p_)) ++p_;
  }

  bool Consume(char c) {
    SkipWhitespace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  bool Peek(char c) {
    SkipWhitespace();
    return p_ != end_ && *p_ == c;
  }

  bool AtEnd() {
    SkipWhitespace();
    return p_ == end_;
  }

  const char* p_;
  const char* const end_;
  std::vector<TokenId>& token_ids_;
};

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
    Scanner scanner(data, token_ids_);
    if (scanner.Chunk(fields)) {
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
