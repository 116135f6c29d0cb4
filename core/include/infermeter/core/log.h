#pragma once
// Logging goes to stderr through spdlog; stdout is kept for results (tables, JSON).
// Use spdlog's free functions (spdlog::info, spdlog::warn, ...) after ConfigureLogging.

#include <string_view>

#include <spdlog/spdlog.h>

namespace infermeter {

// Installs the stderr logger with the given level ("trace", "debug", "info", "warn", "error",
// "off"). Throws InputError naming the option for an unknown level.
void ConfigureLogging(std::string_view level);

}  // namespace infermeter
