#include "db_path.h"

namespace infermeter::cli {

void AddDbOption(CLI::App& command, std::string* path) {
  *path = kDefaultDbPath;
  command.add_option("--db", *path, "Results database (SQLite file)")
      ->envname("INFERMETER_DB")
      ->capture_default_str();
}

}  // namespace infermeter::cli
