#pragma once
// Base64 (RFC 4648, with padding) for images embedded in an HTML report as data: URIs.

#include <string>
#include <string_view>

namespace infermeter::report {

std::string Base64(std::string_view bytes);

}  // namespace infermeter::report
