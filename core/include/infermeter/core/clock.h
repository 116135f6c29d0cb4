#pragma once
// One monotonic clock for every timestamp a run records. Times are signed 64-bit nanoseconds
// (`*_ns`); a run also records a ClockOrigin so monotonic times can be shown as wall-clock dates.

#include <chrono>
#include <cstdint>
#include <string>

namespace infermeter {

using MonotonicClock = std::chrono::steady_clock;

// Nanoseconds on the monotonic clock (CLOCK_MONOTONIC on Linux). Thread-safe, never allocates.
inline std::int64_t MonotonicNs() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             MonotonicClock::now().time_since_epoch())
      .count();
}

// Nanoseconds since the Unix epoch on the wall clock. Only for display: it can jump.
inline std::int64_t WallNs() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A pair of readings taken together, mapping monotonic time onto wall-clock time:
// wall_ns(t) = wall_unix_ns + (t - monotonic_ns).
struct ClockOrigin {
  std::int64_t wall_unix_ns = 0;
  std::int64_t monotonic_ns = 0;

  // Reads both clocks, taking the monotonic reading midway between two wall readings so the
  // pairing error is at most half the time between them.
  static ClockOrigin Now() noexcept;

  std::int64_t ToWallNs(std::int64_t monotonic_time_ns) const noexcept {
    return wall_unix_ns + (monotonic_time_ns - monotonic_ns);
  }
};

// ISO 8601 UTC text with millisecond precision ("2026-11-23T19:21:00.123Z").
std::string FormatWallNs(std::int64_t wall_unix_ns);

}  // namespace infermeter
