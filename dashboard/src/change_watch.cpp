#include "infermeter/dashboard/change_watch.h"

#include <exception>
#include <utility>

namespace infermeter::dashboard {

ChangeWatch::ChangeWatch(std::string db_path) : db_path_(std::move(db_path)) {}

bool ChangeWatch::Changed() {
  bool changed = std::exchange(first_, false);
  try {
    const results::FileState file = results::StatFile(db_path_);
    // Another file under the name, or this one rewritten behind SQLite's back: the connection
    // would still read the old one (it holds the old inode open), so open the file afresh. A
    // checkpoint also changes size and time: a reload too many costs little, a missed one
    // leaves the window stale.
    if (!file_ || !(*file_ == file)) {
      changed = true;
      db_.reset();
    }
    if (!db_) {
      db_.emplace(db_path_, results::OpenMode::kReadOnly);
      file_ = file;
      data_version_.reset();  // a new connection counts from its own start
    }
    // Changes whenever another connection commits to the file, WAL included; takes no lock the
    // writer waits for.
    const std::int64_t version = db_->QueryInt("PRAGMA data_version");
    if (data_version_ != version) changed = true;
    data_version_ = version;
    return changed;
  } catch (const std::exception&) {
    // Missing, unreadable or not a database: the reload says why. Start afresh next time.
    db_.reset();
    file_.reset();
    data_version_.reset();
    return true;
  }
}

}  // namespace infermeter::dashboard
