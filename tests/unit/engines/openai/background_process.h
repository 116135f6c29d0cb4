#pragma once
// A child process for the length of a test: a server the client under test talks to. Started
// with fork/exec (no shell), stopped with SIGTERM (then SIGKILL) when the object goes away.

#include <sys/types.h>

#include <string>
#include <vector>

namespace infermeter::testing {

class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Waits up to `timeout_ms` for `path` to exist with non-empty contents; returns them ("" on
  // timeout or when the process died).
  std::string WaitForFile(const std::string& path, int timeout_ms) const;
  bool running() const;

 private:
  pid_t pid_ = -1;
};

}  // namespace infermeter::testing
