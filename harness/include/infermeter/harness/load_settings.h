#pragma once
// How requests are sent: the load model, its caps and when it stops. A plain struct with units in
// the names (MLPerf LoadGen's TestSettings). The arrival process itself (trace timestamps,
// Poisson, gamma, constant, ramps) is already in the sample source's arrival offsets.

#include <cstdint>
#include <optional>

#include "infermeter/core/engine.h"

namespace infermeter::harness {

enum class LoadMode {
  kOpenLoop,    // each session starts at its first turn's arrival offset
  kClosedLoop,  // a new session starts whenever fewer than max_concurrency requests are in flight
};

struct LoadSettings {
  LoadMode mode = LoadMode::kOpenLoop;
  // Most requests in flight at once. Required for kClosedLoop; for kOpenLoop a cap that holds
  // due requests back (their wait is released_ns - scheduled_ns, and counts in latency measured
  // from the scheduled time).
  std::optional<std::int64_t> max_concurrency;
  // The first requests sent are warm-up: sent and awaited like any other, never stored.
  std::int64_t warmup_requests = 0;
  // Stop sending after this many measured (non-warm-up) requests, after this long since the
  // start, or at the end of the sample source, whichever comes first.
  std::optional<std::int64_t> max_requests;
  std::optional<std::int64_t> max_duration_ns;
  // After the last send, how long in-flight requests may still run before they are cancelled.
  std::int64_t drain_timeout_ns = 120'000'000'000;
  // After an interrupt, how long cancelled requests may take to report back.
  std::int64_t cancel_timeout_ns = 10'000'000'000;
  // Exact output lengths: ask the engine to ignore end-of-sequence tokens.
  bool ignore_eos = true;
  SamplingParams sampling;
  // The scheduler sleeps until this close to a send time, then spins: sleeping alone wakes up
  // 50-100 µs late on Linux, spinning alone burns a core.
  std::int64_t spin_window_ns = 200'000;
};

// Throws InputError naming the field for settings that make no sense (a closed loop without a
// concurrency, a cap below 1, negative counts or times). The load generator calls it; so does
// anyone who wants to fail before doing expensive work.
void CheckLoadSettings(const LoadSettings& settings);

}  // namespace infermeter::harness
