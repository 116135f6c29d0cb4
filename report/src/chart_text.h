#pragma once
// Text that cairo's toy API can draw and that fits where it goes: names come from user labels
// (any bytes), and a legend slot or an axis has a fixed width.

#include <string>
#include <string_view>

#include <cairo.h>

namespace infermeter::report {

// `text` with every byte that is not part of a valid UTF-8 sequence replaced by '?': cairo puts
// its context into an error state on invalid UTF-8, which would fail the whole chart.
std::string ValidUtf8(std::string_view text);

// Width in user units of `text` in the current font of `cr`.
double TextWidth(cairo_t* cr, const std::string& text);

// `text` (valid UTF-8) shortened in the middle with "…" until it is at most `max_width` wide.
// The middle goes because both ends name a line: "run 12 (h100, vllm 0.6): output" keeps
// "run 12" and ": output".
std::string ElideMiddle(cairo_t* cr, const std::string& text, double max_width);

}  // namespace infermeter::report
