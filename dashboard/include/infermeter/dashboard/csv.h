#pragma once
// CSV as RFC 4180 writes it, for "Export table": a field with a comma, quote, CR or LF is quoted
// and its quotes doubled; lines end with CRLF.

#include <string>
#include <string_view>
#include <vector>

namespace infermeter::dashboard {

std::string CsvField(std::string_view text);
// The fields quoted as needed, separated by commas, ending with "\r\n".
std::string CsvLine(const std::vector<std::string>& fields);

}  // namespace infermeter::dashboard
