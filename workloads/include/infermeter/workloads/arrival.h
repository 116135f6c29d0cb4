#pragma once
// Arrival processes: when sessions start. Turns after the first follow their dependencies.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infermeter/workloads/trace.h"

namespace infermeter::workloads {

struct ArrivalSettings {
  enum class Kind {
    kTrace,     // keep the trace's own timestamps (scaled and windowed)
    kPoisson,   // exponential gaps with mean 1/rate
    kGamma,     // gamma gaps with mean 1/rate and coefficient of variation burstiness_cv
    kConstant,  // a gap of exactly 1/rate
  };
  Kind kind = Kind::kPoisson;
  double rate_per_s = 1.0;  // sessions per second (not kTrace)
  // Linear rate ramp (not kTrace): the rate goes from rate_per_s at 0 to ramp_end_rate_per_s at
  // ramp_duration_s and stays there (an inhomogeneous process with that intensity).
  std::optional<double> ramp_end_rate_per_s;
  double ramp_duration_s = 0;
  double burstiness_cv = 1.0;  // kGamma: 1 = Poisson, > 1 burstier, < 1 more regular
  double time_scale = 1.0;     // kTrace: offsets are multiplied by it (0.5 = twice as fast)
  std::optional<double> window_start_s;  // kTrace: keep sessions that start in [start, end),
  std::optional<double> window_end_s;    // measured in the trace's own (unscaled) time
  std::uint64_t seed = 0;
};

// Parses "trace", "poisson", "gamma" or "constant"; throws InputError naming `option` otherwise.
ArrivalSettings::Kind ParseArrivalKind(const std::string& text, const std::string& option);
std::string ToString(ArrivalSettings::Kind kind);

// `count` session start offsets for kPoisson, kGamma and kConstant; the first is 0.
// Throws InputError for kTrace or a rate <= 0.
std::vector<std::int64_t> GenerateArrivalOffsetsNs(const ArrivalSettings& settings,
                                                   std::size_t count);

// Re-times a trace's sessions. kTrace: drops sessions whose first turn starts outside the window
// and maps offsets to (offset - window_start) * time_scale. Other kinds: each session's explicit
// arrivals move so that its first turn starts at the next generated offset (gaps inside a
// session are kept). Returns the number of sessions dropped by the window.
std::int64_t ApplyArrivals(Trace& trace, const ArrivalSettings& settings);

}  // namespace infermeter::workloads
