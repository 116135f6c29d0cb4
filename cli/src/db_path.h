#pragma once
// The results database every command reads or writes: --db FILE, else $INFERMETER_DB, else
// ./infermeter.db.

#include <string>

#include <CLI/CLI.hpp>

namespace infermeter::cli {

inline constexpr const char* kDefaultDbPath = "infermeter.db";

// Adds `--db FILE` (with $INFERMETER_DB as fallback) to `command`, storing into `*path`.
void AddDbOption(CLI::App& command, std::string* path);

}  // namespace infermeter::cli
