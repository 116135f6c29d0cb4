// The chunk decoder's fast path: a hand-written single-pass scanner over one chunk's JSON that
// allocates nothing in the steady state (chunk_decoder.h says what it reads and when it gives up).

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

#include "openai/chunk_fields.h"

namespace infermeter::engines::openai::detail {
namespace {

// Deeper values are left to nlohmann, whose parser does not recurse.
constexpr int kMaxScanDepth = 32;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsJsonWhitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

bool ScanChunk(std::string_view data, ChunkFields& fields, std::vector<TokenId>& token_ids) {
  Scanner scanner(data, token_ids);
  return scanner.Chunk(fields);
}

}  // namespace infermeter::engines::openai::detail
