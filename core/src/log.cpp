#include "infermeter/core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include "infermeter/core/error.h"

namespace infermeter {

void ConfigureLogging(std::string_view level) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  // from_str maps anything unknown to "off"; only accept "off" when it was asked for.
  if (parsed == spdlog::level::off && level != "off") {
    throw InputError({.source = "command line", .field = "--log-level"},
                     "unknown level '" + std::string(level) +
                         "' (expected trace, debug, info, warn, error or off)");
  }
  // Not registered by name, so configuring twice (tests, embedding) simply replaces the logger.
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("infermeter", std::move(sink));
  logger->set_pattern("%^[%l]%$ %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace infermeter
