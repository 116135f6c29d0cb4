#include "infermeter/core/clock.h"

#include <ctime>

#include <fmt/format.h>

namespace infermeter {

ClockOrigin ClockOrigin::Now() noexcept {
  const std::int64_t wall_before = WallNs();
  const std::int64_t mono = MonotonicNs();
  const std::int64_t wall_after = WallNs();
  return ClockOrigin{wall_before + (wall_after - wall_before) / 2, mono};
}

std::string FormatWallNs(std::int64_t wall_unix_ns) {
  // Floor division so times before 1970 still format (they only appear in broken data).
  std::int64_t seconds = wall_unix_ns / 1'000'000'000;
  std::int64_t rem_ns = wall_unix_ns % 1'000'000'000;
  if (rem_ns < 0) {
    rem_ns += 1'000'000'000;
    --seconds;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     rem_ns / 1'000'000);
}

}  // namespace infermeter
