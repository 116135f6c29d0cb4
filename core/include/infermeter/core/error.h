#pragma once
// Errors: setup and input problems throw a subclass of infermeter::Error; `main` maps them to
// exit codes. Per-request failures at run time are values, never exceptions (see results/).

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace infermeter {

// Base of every exception infermeter throws on purpose. The message is complete and meant for
// the user: what went wrong, where, and what was expected.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where in the user's input a problem is. Every part is optional except the source name.
struct InputLocation {
  std::string source;                // file name, URL or "<stdin>"
  std::optional<std::int64_t> line;  // 1-based line number
  std::string path;                  // JSON path ("$[3].traj[2].content") or CSV column
  std::string field;                 // field name ("input_length")
};

// Bad user input (trace files, config files, command-line values). The message reads
// "<file>:<line>: <path> field '<field>': <problem>".
class InputError : public Error {
 public:
  InputError(InputLocation where, const std::string& problem);
  const InputLocation& where() const { return where_; }
  const std::string& problem() const { return problem_; }

 private:
  InputLocation where_;
  std::string problem_;
};

// Formats a location as "<file>:<line>: <path> field '<field>'" (missing parts left out).
std::string FormatLocation(const InputLocation& where);

}  // namespace infermeter
