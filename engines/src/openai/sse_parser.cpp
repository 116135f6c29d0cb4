#include "openai/sse_parser.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace infermeter::engines::openai {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
// Reset() keeps buffers up to this capacity for the next stream and frees larger ones, so one
// huge event does not pin its memory for the rest of a run.
constexpr std::size_t kKeptCapacity = std::size_t{1} << 20;
// A line may exceed max_event_bytes by its field name and colon ("event: "), so that the limit
// on content is the same whether a line arrives whole or in pieces.
constexpr std::size_t kFieldNameSlack = 8;

// The first `to` at or after `from`, or `end` when there is none.
const char* FindByte(const char* from, const char* end, char to) {
  const void* hit = std::memchr(from, to, static_cast<std::size_t>(end - from));
  return hit != nullptr ? static_cast<const char*>(hit) : end;
}

void ClearBuffer(std::string& buffer) {
  if (buffer.capacity() > kKeptCapacity) {
    std::string().swap(buffer);
  } else {
    buffer.clear();
  }
}

// Up to 80 bytes of `bytes` as printable ASCII (others as \xNN), for error messages.
std::string Excerpt(std::string_view bytes) {
  constexpr std::size_t kMax = 80;
  std::string out;
  for (const char c : bytes.substr(0, kMax)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out.push_back(c);
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  if (bytes.size() > kMax) out += "...";
  return out;
}

}  // namespace

SseParser::SseParser() : SseParser(SseParserOptions{}) {}

SseParser::SseParser(SseParserOptions options) : options_(options) {}

bool SseParser::FeedImpl(std::string_view bytes, void* fn, Callback callback) {
  if (failed()) return false;
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  if (skip_lf_ && p != end) {
    // The previous slice ended with '\r': a '\n' here belongs to the same line end.
    skip_lf_ = false;
    if (*p == '\n') ++p;
  }
  // The next '\n' and '\r' at or after p (`end` when none). Each is searched for again only
  // once p has passed it, so every byte of the slice is scanned at most once per character.
  const char* next_lf = nullptr;
  const char* next_cr = nullptr;
  while (p != end) {
    if (next_lf == nullptr || next_lf < p) next_lf = FindByte(p, end, '\n');
    if (next_cr == nullptr || next_cr < p) next_cr = FindByte(p, end, '\r');
    const char* const eol = std::min(next_lf, next_cr);
    const auto length = static_cast<std::size_t>(eol - p);
    if (!CheckLineLength(line_.size() + length)) return false;
    if (eol == end) {
      // An unfinished line: keep it for the next slice.
      line_.append(p, length);
      break;
    }
    std::string_view line(p, length);
    if (!line_.empty()) {
      // The line began in an earlier slice.
      line_.append(p, length);
      line = line_;
    }
    event_raw_bytes_ += line.size() + 1;
    p = eol + 1;
    if (*eol == '\r') {
      if (p == end) {
        skip_lf_ = true;
      } else if (*p == '\n') {
        ++p;
        ++event_raw_bytes_;
      }
    }
    const bool ok = ProcessLine(line, fn, callback);
    line_.clear();
    if (!ok) return false;
  }
  return true;
}

bool SseParser::ProcessLine(std::string_view line, void* fn, Callback callback) {
  if (at_stream_start_) {
    at_stream_start_ = false;
    if (line.starts_with(kByteOrderMark)) line.remove_prefix(kByteOrderMark.size());
  }
  if (line.empty()) {
    Dispatch(fn, callback);
    return true;
  }
  if (line.front() == ':') return true;  // a comment (keep-alive)
  has_fields_ = true;

  std::string_view field = line;
  std::string_view value;
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }

  const auto append_data = [&] {
    const std::size_t joiner = has_data_ ? 1 : 0;
    if (!CheckEventSize(data_.size() + joiner + value.size() + event_.size())) return false;
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
    return true;
  };
  if (field == "data") return append_data();
  if (field == "event") {
    if (!CheckEventSize(data_.size() + value.size())) return false;
    event_.assign(value);
    return true;
  }
  if (field == "id") {
    if (value.find('\0') != std::string_view::npos) return true;  // ignored, as the spec says
    id_.assign(value);                                            // no longer than a line
    return true;
  }
  if (field == "retry") {
    // Only ASCII digits, else ignored; more than 18 digits would not fit and are ignored too.
    if (value.empty() || value.size() > 18 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return true;
    }
    std::int64_t ms = 0;
    for (const char c : value) ms = ms * 10 + (c - '0');
    retry_ms_ = ms;
    return true;
  }
  if (field == "error" && options_.error_field_as_event) {
    event_.assign("error");
    return append_data();
  }
  return true;  // unknown fields are ignored
}

void SseParser::Dispatch(void* fn, Callback callback) {
  has_fields_ = false;
  event_raw_bytes_ = 0;
  if (has_data_) {
    const SseEvent event{
        .type = event_.empty() ? std::string_view("message") : std::string_view(event_),
        .data = data_,
        .id = id_,
    };
    ++events_;
    callback(fn, event);
  }
  data_.clear();
  event_.clear();
  has_data_ = false;
}

bool SseParser::CheckLineLength(std::size_t length) {
  if (length <= options_.max_event_bytes + kFieldNameSlack) return true;
  error_ = fmt::format(
      "a line of the stream is longer than the limit of {} bytes (max_event_bytes): {} bytes "
      "without a line end; it begins '{}'",
      options_.max_event_bytes, length, Excerpt(line_));
  return false;
}

bool SseParser::CheckEventSize(std::size_t size) {
  if (size <= options_.max_event_bytes) return true;
  error_ = fmt::format(
      "an event of the stream is larger than the limit of {} bytes (max_event_bytes): it reached "
      "{} bytes without the empty line that ends an event; its data begins '{}'",
      options_.max_event_bytes, size, Excerpt(data_));
  return false;
}

SseStreamEnd SseParser::Finish() {
  SseStreamEnd end;
  if (failed()) {
    end.complete = false;
    end.discarded_bytes = event_raw_bytes_ + line_.size();
    end.partial_data = data_;
    end.description = error_;
  } else if (has_fields_ || !line_.empty()) {
    end.complete = false;
    end.discarded_bytes = event_raw_bytes_ + line_.size();
    end.partial_data = data_;
    std::string detail;
    if (has_data_) {
      detail = fmt::format("data so far '{}'", Excerpt(data_));
    } else if (!line_.empty()) {
      detail = fmt::format("unfinished line '{}'", Excerpt(line_));
    } else {
      detail = "fields without data";
    }
    end.description = fmt::format(
        "the stream ended inside an event: {} bytes after the last empty line were not "
        "dispatched ({})",
        end.discarded_bytes, detail);
  }
  Reset();
  return end;
}

void SseParser::Reset() {
  ClearBuffer(line_);
  ClearBuffer(data_);
  event_.clear();
  id_.clear();
  error_.clear();
  retry_ms_.reset();
  events_ = 0;
  event_raw_bytes_ = 0;
  has_data_ = false;
  has_fields_ = false;
  skip_lf_ = false;
  at_stream_start_ = true;
}

}  // namespace infermeter::engines::openai
