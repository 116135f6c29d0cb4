#pragma once
// Writing JSON by hand on hot paths (stream chunks, trace export), where building a
// nlohmann::json value per line would cost more than the rest of the work.

#include <string>
#include <string_view>

namespace infermeter {

// Appends `text` as a JSON string literal: quotes, backslash escapes for '"', '\\', '\n', '\r',
// '\t', and \u00XX for the other control characters. Bytes from 0x80 up pass through unchanged
// (UTF-8 stays UTF-8; the caller owns its validity).
void AppendJsonString(std::string& out, std::string_view text);

inline std::string JsonString(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  AppendJsonString(out, text);
  return out;
}

}  // namespace infermeter
