#pragma once
// Splits text into lines without copying ('\n' or "\r\n" ends a line).

#include <cstdint>
#include <cstring>
#include <string_view>

namespace infermeter::workloads::detail {

class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  // Sets `line` to the next line and returns true, or returns false at the end.
  bool Next(std::string_view* line) {
    if (pos_ >= text_.size()) return false;
    const char* begin = text_.data() + pos_;
    const auto* nl = static_cast<const char*>(std::memchr(begin, '\n', text_.size() - pos_));
    std::size_t length = nl ? static_cast<std::size_t>(nl - begin) : text_.size() - pos_;
    pos_ += length + (nl ? 1 : 0);
    if (length > 0 && begin[length - 1] == '\r') --length;
    *line = std::string_view(begin, length);
    ++line_number_;
    return true;
  }
  std::int64_t line_number() const { return line_number_; }  // 1-based, of the last line read

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::int64_t line_number_ = 0;
};

inline bool IsBlank(std::string_view line) {
  for (const char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

}  // namespace infermeter::workloads::detail
