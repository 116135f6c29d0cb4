#pragma once
// A file's identity and state as stat(2) sees it, for readers that keep a connection open and
// must notice when the file under the name changed behind SQLite's back: a new inode is another
// file under the same name (deleted and recreated, replaced by a copy); a changed size or
// modification time with the same inode may be a rewrite (a checkpoint also changes them).

#include <cstdint>
#include <string>

namespace infermeter::results {

struct FileState {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool SameFile(const FileState& other) const {
    return device == other.device && inode == other.inode;
  }
  friend bool operator==(const FileState&, const FileState&) = default;
};

// Throws Error naming the file and the reason when it cannot be stat'ed (missing, no access).
FileState StatFile(const std::string& path);

}  // namespace infermeter::results
