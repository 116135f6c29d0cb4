#include "infermeter/core/error.h"

#include <fmt/format.h>

namespace infermeter {

std::string FormatLocation(const InputLocation& where) {
  // "file:line: $.path field 'name'", each part only when known.
  std::string text = where.source.empty() ? std::string("<input>") : where.source;
  if (where.line) text += fmt::format(":{}", *where.line);
  if (!where.path.empty() || !where.field.empty()) text += ':';
  if (!where.path.empty()) text += fmt::format(" {}", where.path);
  if (!where.field.empty()) text += fmt::format(" field '{}'", where.field);
  return text;
}

InputError::InputError(InputLocation where, const std::string& problem)
    : Error(FormatLocation(where) + ": " + problem), where_(std::move(where)), problem_(problem) {}

}  // namespace infermeter
