#pragma once
// Whole-document JSON for the text formats (ShareGPT, chat trajectories): parse with a useful
// error, and name places by JSON path.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bad_records.h"

namespace infermeter::workloads::detail {

// Parses `text`; a syntax error becomes an InputError with the line number.
nlohmann::json ParseJsonDocument(std::string_view text, const std::string& source);

// "$[3].traj[2]" style paths.
std::string IndexPath(const std::string& parent, std::size_t index);
std::string KeyPath(const std::string& parent, std::string_view key);
// A short description of a JSON value's type for messages ("a string", "null").
std::string TypeName(const nlohmann::json& value);

}  // namespace infermeter::workloads::detail
