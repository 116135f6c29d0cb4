#pragma once
// Runs a command line through /bin/sh and captures what it printed and its exit code.

#include <string>

namespace infermeter::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// `command` is passed to /bin/sh -c; quote arguments yourself (see ShellQuote).
ProcessResult RunProcess(const std::string& command);
std::string ShellQuote(const std::string& text);

}  // namespace infermeter::testing
