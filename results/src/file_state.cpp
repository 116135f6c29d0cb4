#include "infermeter/results/file_state.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::results {

FileState StatFile(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    throw Error(fmt::format("{}: {}", path, std::strerror(errno)));
  }
  return {.device = static_cast<std::uint64_t>(status.st_dev),
          .inode = static_cast<std::uint64_t>(status.st_ino),
          .size = static_cast<std::int64_t>(status.st_size),
          .mtime_ns = static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 +
                      static_cast<std::int64_t>(status.st_mtim.tv_nsec)};
}

}  // namespace infermeter::results
