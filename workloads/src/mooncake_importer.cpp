// Mooncake JSONL: {"timestamp": ms, "input_length": n, "output_length": n, "hash_ids": [...]}
// per line. A hand-written parser for this flat shape: nlohmann::json per line is several times
// slower than the 1M records/s per core we need. Keys may come in any order with any JSON
// whitespace; unknown keys (other Mooncake traces add some) are skipped whatever their value.

#include <fmt/format.h>

#include "importers.h"
#include "line_reader.h"

namespace infermeter::workloads::detail {
namespace {

constexpr std::int64_t kMooncakeBlockSizeTokens = 512;

// Thrown inside the parser and turned into an InputError with the line number.
struct ParseProblem {
  std::string field;
  std::string problem;
};

class FlatObjectParser {
 public:
  explicit FlatObjectParser(std::string_view line)
      : p_(line.data()), end_(line.data() + line.size()) {}

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n')) ++p_;
  }
  bool AtEnd() const { return p_ >= end_; }
  char Peek() const { return p_ < end_ ? *p_ : '\0'; }
  bool Consume(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  void Expect(char c, const std::string& field, const char* what) {
    SkipSpace();
    if (!Consume(c)) throw ParseProblem{field, fmt::format("expected {}, found {}", what, Near())};
  }

  // A key: a string without escapes (Mooncake keys have none; a key with escapes is unknown to us
  // anyway and skipped as a whole).
  std::string_view Key() {
    SkipSpace();
    if (!Consume('"'))
      throw ParseProblem{"", fmt::format("expected a key string, found {}", Near())};
    const char* begin = p_;
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\') ++p_;
      ++p_;
    }
    if (p_ >= end_) throw ParseProblem{"", "unterminated key string"};
    std::string_view key(begin, static_cast<std::size_t>(p_ - begin));
    ++p_;
    return key;
  }

  std::int64_t NonNegativeInteger(const std::string& field) {
    SkipSpace();
    const char* begin = p_;
    const std::int64_t value = Digits(field);
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) {
      p_ = begin;
      throw ParseProblem{field, fmt::format("expected a non-negative integer, found {}", Near())};
    }
    return value;
  }

  // One or more decimal digits.
  std::int64_t Digits(const std::string& field) {
    const char* begin = p_;
    std::uint64_t value = 0;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      value = value * 10 + static_cast<std::uint64_t>(*p_ - '0');
      ++p_;
      if (value > (1ULL << 62)) throw ParseProblem{field, "integer too large"};
    }
    if (p_ == begin) {
      throw ParseProblem{field, fmt::format("expected a non-negative integer, found {}", Near())};
    }
    return static_cast<std::int64_t>(value);
  }

  // Milliseconds as an integer or a decimal with at most 6 fraction digits, returned in ns
  // exactly (no rounding).
  std::int64_t MillisecondsAsNs(const std::string& field) {
    SkipSpace();
    const char* begin = p_;
    const std::int64_t ms = Digits(field);
    std::int64_t ns = 0;
    if (Consume('.')) {
      std::int64_t scale = 100000;
      int digits = 0;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
        if (++digits > 6) {
          p_ = begin;
          throw ParseProblem{field, fmt::format("expected milliseconds with at most 6 decimals "
                                                "(nanoseconds), found {}",
                                                Near())};
        }
        ns += (*p_ - '0') * scale;
        scale /= 10;
        ++p_;
      }
      if (digits == 0) {
        p_ = begin;
        throw ParseProblem{field, fmt::format("expected a number, found {}", Near())};
      }
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      p_ = begin;
      throw ParseProblem{field, fmt::format("expected a plain decimal number, found {}", Near())};
    }
    if (ms > (std::int64_t{1} << 62) / 1'000'000) throw ParseProblem{field, "timestamp too large"};
    return ms * 1'000'000 + ns;
  }

  void IntegerArray(const std::string& field, std::vector<BlockHashId>* out) {
    Expect('[', field, "'[' (an array of block hash ids)");
    SkipSpace();
    if (Consume(']')) return;
    while (true) {
      out->push_back(static_cast<BlockHashId>(NonNegativeInteger(field)));
      SkipSpace();
      if (Consume(']')) return;
      if (!Consume(',')) {
        throw ParseProblem{field,
                           fmt::format("expected ',' or ']' in the array, found {}", Near())};
      }
    }
  }

  // Skips any JSON value (for keys we do not use).
  void SkipValue(const std::string& field) {
    SkipSpace();
    int depth = 0;
    do {
      if (p_ >= end_) throw ParseProblem{field, "value ends with the line"};
      const char c = *p_;
      if (c == '"') {
        ++p_;
        while (p_ < end_ && *p_ != '"') p_ += (*p_ == '\\') ? 2 : 1;
        if (p_ >= end_) throw ParseProblem{field, "unterminated string"};
        ++p_;
      } else if (c == '[' || c == '{') {
        ++depth;
        ++p_;
      } else if (c == ']' || c == '}') {
        if (depth == 0)
          throw ParseProblem{field, fmt::format("expected a value, found {}", Near())};
        --depth;
        ++p_;
      } else if (depth == 0 && (c == ',')) {
        throw ParseProblem{field, "expected a value, found ','"};
      } else {
        // Scalars (numbers, true, false, null) and, inside containers, separators.
        ++p_;
        if (depth == 0) {
          while (p_ < end_ && *p_ != ',' && *p_ != '}' && *p_ != ' ' && *p_ != '\t') ++p_;
        }
      }
    } while (depth > 0);
  }

  std::string Near() const {
    if (p_ >= end_) return "the end of the line";
    const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(end_ - p_), 20);
    return fmt::format("'{}'", std::string_view(p_, n));
  }

 private:
  const char* p_;
  const char* end_;
};

struct MooncakeRecord {
  std::int64_t timestamp_ns = -1;
  std::int64_t input_length = -1;
  std::int64_t output_length = -1;
  bool has_hash_ids = false;
};

// Parses one line into `record` and `hash_ids` (cleared first).
void ParseLine(std::string_view line, MooncakeRecord* record, std::vector<BlockHashId>* hash_ids) {
  FlatObjectParser parser(line);
  parser.Expect('{', "", "a JSON object '{'");
  parser.SkipSpace();
  if (!parser.Consume('}')) {
    while (true) {
      const std::string_view key = parser.Key();
      const auto duplicate = [&](bool seen) {
        if (seen) throw ParseProblem{std::string(key), "appears twice"};
      };
      parser.Expect(':', std::string(key), "':'");
      if (key == "timestamp") {
        duplicate(record->timestamp_ns >= 0);
        record->timestamp_ns = parser.MillisecondsAsNs("timestamp");
      } else if (key == "input_length") {
        duplicate(record->input_length >= 0);
        record->input_length = parser.NonNegativeInteger("input_length");
      } else if (key == "output_length") {
        duplicate(record->output_length >= 0);
        record->output_length = parser.NonNegativeInteger("output_length");
      } else if (key == "hash_ids") {
        duplicate(record->has_hash_ids);
        record->has_hash_ids = true;
        parser.IntegerArray("hash_ids", hash_ids);
      } else {
        parser.SkipValue(std::string(key));
      }
      parser.SkipSpace();
      if (parser.Consume('}')) break;
      if (!parser.Consume(',')) {
        throw ParseProblem{
            std::string(key),
            fmt::format("expected ',' or '}}' after the value, found {}", parser.Near())};
      }
    }
  }
  parser.SkipSpace();
  if (!parser.AtEnd()) {
    throw ParseProblem{"", fmt::format("unexpected text after the object: {}", parser.Near())};
  }
  if (record->timestamp_ns < 0)
    throw ParseProblem{"timestamp", "missing (milliseconds from the trace start)"};
  if (record->input_length < 0) throw ParseProblem{"input_length", "missing (input tokens)"};
  if (record->output_length < 0) throw ParseProblem{"output_length", "missing (output tokens)"};
  if (!record->has_hash_ids) throw ParseProblem{"hash_ids", "missing (one id per 512-token block)"};
  // Mooncake's last block is partial: ceil(input_length / 512) blocks. Fewer blocks are allowed
  // (the rest is a unique tail); more would leave a block without tokens.
  const auto blocks = static_cast<std::int64_t>(hash_ids->size());
  if (blocks > 0 && record->input_length <= (blocks - 1) * kMooncakeBlockSizeTokens) {
    throw ParseProblem{"hash_ids", fmt::format("{} blocks of 512 tokens need input_length > {}, "
                                               "but input_length is {}",
                                               blocks, (blocks - 1) * kMooncakeBlockSizeTokens,
                                               record->input_length)};
  }
}

}  // namespace

void ImportMooncake(std::string_view text, const ImportContext& context, ImportResult* result) {
  Trace& trace = result->trace;
  trace.block_size_tokens = kMooncakeBlockSizeTokens;
  trace.source_format = std::string(kFormatMooncake);
  trace.token_count_method = "from-trace";
  // About 250 bytes a line in the published traces; reserving avoids regrowth.
  trace.sessions.reserve(text.size() / 200 + 1);
  LineReader lines(text);
  std::string_view line;
  std::vector<BlockHashId> hash_ids;
  while (lines.Next(&line)) {
    if (IsBlank(line)) continue;
    MooncakeRecord record;
    hash_ids.clear();
    try {
      ParseLine(line, &record, &hash_ids);
    } catch (const ParseProblem& p) {
      context.bad->Handle(InputError(
          {.source = context.source, .line = lines.line_number(), .field = p.field}, p.problem));
      continue;
    }
    Session& session = trace.sessions.emplace_back();
    session.id = std::to_string(lines.line_number());
    Request& request = session.turns.emplace_back();
    request.arrival_offset_ns = record.timestamp_ns;
    request.block_hash_ids.assign(hash_ids.begin(), hash_ids.end());
    request.input_tokens = record.input_length;
    request.output_tokens = record.output_length;
    request.metadata.source_line = lines.line_number();
    ++result->records_read;
  }
}

}  // namespace infermeter::workloads::detail
