#pragma once
// Minimal CSV for trace files: comma-separated fields, optionally double-quoted ("" inside quotes
// is a quote), no line breaks inside fields. Plus the number and time parsers CSV traces need.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infermeter::workloads::detail {

// Splits one line into `fields` (reused to avoid allocations). Returns false on an unterminated
// quote.
bool SplitCsvLine(std::string_view line, std::vector<std::string>* fields);

// Column index by exact header name, or nullopt.
std::optional<std::size_t> FindColumn(const std::vector<std::string>& header,
                                      std::string_view name);

// A non-negative decimal integer, nothing else; nullopt otherwise.
std::optional<std::int64_t> ParseNonNegativeInt(std::string_view text);
// A non-negative decimal number of seconds with at most 9 fraction digits, exactly in ns.
std::optional<std::int64_t> ParseSecondsAsNs(std::string_view text);
// "YYYY-MM-DD HH:MM:SS[.fraction up to 9 digits][Z|+HH:MM|-HH:MM]" (also with 'T') as Unix ns;
// no zone means UTC.
std::optional<std::int64_t> ParseDateTimeAsUnixNs(std::string_view text);

}  // namespace infermeter::workloads::detail
