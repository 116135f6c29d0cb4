#pragma once
// A fresh folder for one test's database files, removed afterwards (WAL and SHM files too).

#include <filesystem>
#include <string>

namespace infermeter::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace infermeter::testing
