#include "json_document.h"

#include <algorithm>

#include <fmt/format.h>

namespace infermeter::workloads::detail {

nlohmann::json ParseJsonDocument(std::string_view text, const std::string& source) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    const std::size_t at = std::min(e.byte, text.size());
    const auto line =
        1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
    throw InputError({.source = source, .line = line}, fmt::format("not valid JSON: {}", e.what()));
  }
}

std::string IndexPath(const std::string& parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::string KeyPath(const std::string& parent, std::string_view key) {
  return fmt::format("{}.{}", parent, key);
}

std::string TypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    default:
      return "a number";
  }
}

}  // namespace infermeter::workloads::detail
