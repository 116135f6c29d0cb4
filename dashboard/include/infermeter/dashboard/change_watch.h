#pragma once
// Noticing that a results file changed, cheaply enough to ask once a second while a run is being
// written: SQLite's `PRAGMA data_version` on a connection kept open (it changes whenever another
// connection commits, WAL included) and the file's identity (a file replaced under the same name
// is noticed by its inode). Never writes, never blocks the writer.

#include <cstdint>
#include <optional>
#include <string>

#include "infermeter/results/file_state.h"
#include "infermeter/results/sqlite.h"

namespace infermeter::dashboard {

class ChangeWatch {
 public:
  explicit ChangeWatch(std::string db_path);

  // True the first time, and whenever the file was committed to, replaced, or appeared since the
  // last call. A file that cannot be read counts as changed (the reload then says why); the
  // connection is reopened at the next call.
  bool Changed();

 private:
  std::string db_path_;
  std::optional<results::Database> db_;
  std::optional<results::FileState> file_;
  std::optional<std::int64_t> data_version_;
  bool first_ = true;
};

}  // namespace infermeter::dashboard
