#include "chart_text.h"

#include <cstddef>
#include <vector>

#include <fmt/format.h>

namespace infermeter::report {
namespace {

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Length of the valid UTF-8 sequence at text[at], or 0 when there is none (overlong forms,
// surrogates and code points above U+10FFFF are invalid, as cairo also judges them).
std::size_t SequenceLength(std::string_view text, std::size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char second_min = 0x80, second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  const auto second = static_cast<unsigned char>(text[at + 1]);
  if (second < second_min || second > second_max) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!IsContinuation(static_cast<unsigned char>(text[at + i]))) return 0;
  }
  return length;
}

}  // namespace

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = SequenceLength(text, at);
    if (length == 0) {
      out.push_back('?');
      ++at;
    } else {
      out.append(text.substr(at, length));
      at += length;
    }
  }
  return out;
}

double TextWidth(cairo_t* cr, const std::string& text) {
  cairo_text_extents_t extents;
  cairo_text_extents(cr, text.c_str(), &extents);
  return extents.x_advance;
}

std::string ElideMiddle(cairo_t* cr, const std::string& text, double max_width) {
  if (TextWidth(cr, text) <= max_width) return text;
  // Byte offsets where characters start, and the end, so cuts never split a character.
  std::vector<std::size_t> starts;
  for (std::size_t at = 0; at < text.size(); ++at) {
    if (!IsContinuation(static_cast<unsigned char>(text[at]))) starts.push_back(at);
  }
  starts.push_back(text.size());
  const std::size_t characters = starts.size() - 1;
  const auto keeping = [&](std::size_t kept) {
    const std::size_t head = (kept + 1) / 2, tail = kept / 2;
    return fmt::format("{}…{}", text.substr(0, starts[head]),
                       text.substr(starts[characters - tail]));
  };
  // The most characters kept that still fit: width grows with `kept`, so bisect.
  std::size_t fits = 0, too_wide = characters;
  while (too_wide - fits > 1) {
    const std::size_t mid = (fits + too_wide) / 2;
    (TextWidth(cr, keeping(mid)) <= max_width ? fits : too_wide) = mid;
  }
  return keeping(fits);
}

}  // namespace infermeter::report
