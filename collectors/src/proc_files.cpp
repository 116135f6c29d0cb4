#include "proc_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

constexpr std::string_view kSpace = " \t\n\r";

std::string_view Trim(std::string_view s) {
  const auto begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

std::optional<std::int64_t> ToInt(std::string_view s) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value < 0) return std::nullopt;
  return value;
}

InputError Bad(const std::string& source, std::optional<std::int64_t> line, std::string field,
               const std::string& problem) {
  return InputError({.source = source, .line = line, .path = "", .field = std::move(field)},
                    problem);
}

// "Key:   <n> kB" lines (status, meminfo). Every key asked for must be there, once at least; the
// first occurrence counts. Values are returned in bytes, in the order of `keys`.
template <std::size_t N>
std::array<std::int64_t, N> KilobyteFields(std::string_view text, const std::string& source,
                                           const std::array<std::string_view, N>& keys) {
  std::array<std::optional<std::int64_t>, N> found;
  std::int64_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t eol = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_number;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    for (std::size_t i = 0; i < N; ++i) {
      if (key != keys[i] || found[i]) continue;
      const std::string_view value = Trim(line.substr(colon + 1));
      const std::size_t space = value.find_first_of(kSpace);
      const std::string_view number = value.substr(0, space);
      const std::string_view unit =
          space == std::string_view::npos ? std::string_view() : Trim(value.substr(space));
      const std::optional<std::int64_t> kb = ToInt(number);
      if (!kb || unit != "kB") {
        throw Bad(source, line_number, std::string(key),
                  fmt::format("expected '<number> kB', found '{}'", value));
      }
      if (*kb > std::numeric_limits<std::int64_t>::max() / 1024) {
        throw Bad(source, line_number, std::string(key),
                  fmt::format("{} kB does not fit in 64-bit bytes", *kb));
      }
      found[i] = *kb * 1024;
    }
  }
  std::array<std::int64_t, N> bytes{};
  for (std::size_t i = 0; i < N; ++i) {
    if (!found[i]) {
      throw Bad(source, std::nullopt, std::string(keys[i]),
                fmt::format("missing: expected a line '{}: <number> kB'", keys[i]));
    }
    bytes[i] = *found[i];
  }
  return bytes;
}

}  // namespace

ProcStat ParseProcStat(std::string_view text, const std::string& source) {
  // "pid (comm) state ppid ...": comm is the executable's name as the process set it, and may
  // hold spaces and parentheses ("(a b) c)"), so the fields start after the LAST ')'.
  const std::size_t open = text.find('(');
  const std::size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    throw Bad(source, 1, "comm", "expected '<pid> (<command>) <state> ...', found no '(...)'");
  }
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
  std::size_t pos = close + 1;
  while (true) {
    const std::size_t begin = text.find_first_not_of(kSpace, pos);
    if (begin == std::string_view::npos) break;
    const std::size_t end = std::min(text.find_first_of(kSpace, begin), text.size());
    fields.push_back(text.substr(begin, end - begin));
    pos = end;
  }
  const auto tick_field = [&](std::size_t number, const char* name) {
    const std::size_t index = number - 3;
    if (index >= fields.size()) {
      throw Bad(source, 1, name,
                fmt::format("the line ends after field {}; field {} ({}) is missing",
                            fields.size() + 2, number, name));
    }
    const std::optional<std::int64_t> ticks = ToInt(fields[index]);
    if (!ticks) {
      throw Bad(source, 1, name,
                fmt::format("field {}: expected a number of clock ticks, found '{}'", number,
                            fields[index]));
    }
    return *ticks;
  };
  return {.utime_ticks = tick_field(14, "utime"), .stime_ticks = tick_field(15, "stime")};
}

ProcStatus ParseProcStatus(std::string_view text, const std::string& source) {
  const auto [rss, hwm] = KilobyteFields<2>(text, source, {"VmRSS", "VmHWM"});
  return {.rss_bytes = rss, .rss_peak_bytes = hwm};
}

MemInfo ParseMemInfo(std::string_view text, const std::string& source) {
  const auto [total, available] = KilobyteFields<2>(text, source, {"MemTotal", "MemAvailable"});
  if (available > total) {
    throw Bad(source, std::nullopt, "MemAvailable",
              fmt::format("{} bytes available is more than MemTotal ({} bytes)", available, total));
  }
  return {.total_bytes = total, .available_bytes = available};
}

std::string ParseCpuModel(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t eol = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (Trim(line.substr(0, colon)) == "model name") {
      return std::string(Trim(line.substr(colon + 1)));
    }
  }
  return "";
}

std::string ReadProcFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  std::string text;
  std::array<char, 4096> buffer;
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      text.append(buffer.data(), static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      const int saved = errno;
      ::close(fd);
      throw Error(fmt::format("cannot read {}: {}", path, std::strerror(saved)));
    }
  }
  ::close(fd);
  return text;
}

}  // namespace infermeter::collectors
