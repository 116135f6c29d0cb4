#pragma once
// Where the workloads tests find real traces (../shared/traces) and hand-made fixtures.

#include <cstdlib>
#include <filesystem>
#include <string>

namespace infermeter::workloads::testing {

inline std::string SharedTrace(const std::string& name) {
  const char* dir = std::getenv("INFERMETER_SHARED_DIR");
  return (std::filesystem::path(dir ? dir : "../shared") / "traces" / name).string();
}

inline std::string Fixture(const std::string& name) {
  const char* dir = std::getenv("INFERMETER_SOURCE_DIR");
  return (std::filesystem::path(dir ? dir : ".") / "tests" / "data" / "workloads" / name).string();
}

}  // namespace infermeter::workloads::testing

// Skips the test when a real trace is not there (a checkout without ../shared).
#define SKIP_UNLESS_EXISTS(path) \
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << (path)
