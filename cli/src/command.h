#pragma once
// How subcommands hand their work to main: parsing picks the action, main runs it once parsing
// succeeded and maps errors to exit codes in one place.

#include <functional>

namespace infermeter::cli {

// Returns the process exit code.
using CommandAction = std::function<int()>;

}  // namespace infermeter::cli
