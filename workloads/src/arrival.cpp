#include "infermeter/workloads/arrival.h"

#include <cmath>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "infermeter/workloads/random.h"

namespace infermeter::workloads {

ArrivalSettings::Kind ParseArrivalKind(const std::string& text, const std::string& option) {
  if (text == "trace") return ArrivalSettings::Kind::kTrace;
  if (text == "poisson") return ArrivalSettings::Kind::kPoisson;
  if (text == "gamma") return ArrivalSettings::Kind::kGamma;
  if (text == "constant") return ArrivalSettings::Kind::kConstant;
  throw InputError({.source = "<command line>", .field = option},
                   fmt::format("'{}' is not an arrival process; expected trace, poisson, gamma "
                               "or constant",
                               text));
}

std::string ToString(ArrivalSettings::Kind kind) {
  switch (kind) {
    case ArrivalSettings::Kind::kTrace:
      return "trace";
    case ArrivalSettings::Kind::kPoisson:
      return "poisson";
    case ArrivalSettings::Kind::kGamma:
      return "gamma";
    case ArrivalSettings::Kind::kConstant:
      return "constant";
  }
  return "?";
}

namespace {

// One gap of the arrival process at rate 1 (mean 1): exponential, gamma or constant.
double UnitGap(const ArrivalSettings& settings, Rng& rng) {
  const double cv2 = settings.burstiness_cv * settings.burstiness_cv;
  switch (settings.kind) {
    case ArrivalSettings::Kind::kPoisson:
      return rng.Exponential(1.0);
    case ArrivalSettings::Kind::kGamma:
      return rng.Gamma(1.0 / cv2, cv2);
    default:
      return 1.0;
  }
}

// A linear ramp by time change: arrivals of the rate-1 process at "operational times" u map to
// the t where the integrated rate Lambda(t) = u. Lambda(t) = r0 t + (r1 - r0) t^2 / (2T) up to T,
// then Lambda(T) + r1 (t - T). This keeps the process's shape (Poisson stays Poisson, with the
// time-varying intensity; gamma keeps its burstiness in operational time).
std::vector<std::int64_t> GenerateRampOffsetsNs(const ArrivalSettings& settings,
                                                std::size_t count) {
  const double r0 = settings.rate_per_s;
  const double r1 = *settings.ramp_end_rate_per_s;
  const double ramp_s = settings.ramp_duration_s;
  if (!(r1 > 0) || !std::isfinite(r1)) {
    throw InputError({.source = "<options>", .field = "ramp"},
                     fmt::format("expected a final ramp rate > 0 per second, got {}", r1));
  }
  if (!(ramp_s > 0) || !std::isfinite(ramp_s)) {
    throw InputError({.source = "<options>", .field = "ramp"},
                     fmt::format("expected a ramp duration > 0 s, got {}", ramp_s));
  }
  const double slope = (r1 - r0) / (2.0 * ramp_s);  // a in a t^2 + r0 t = u
  const double lambda_at_end = r0 * ramp_s + slope * ramp_s * ramp_s;
  const auto time_of = [&](double u) {
    if (u >= lambda_at_end) return ramp_s + (u - lambda_at_end) / r1;
    if (std::abs(slope) < 1e-12) return u / r0;
    return (-r0 + std::sqrt(std::max(0.0, r0 * r0 + 4.0 * slope * u))) / (2.0 * slope);
  };
  Rng rng(settings.seed);
  std::vector<std::int64_t> offsets;
  offsets.reserve(count);
  double u = 0;
  for (std::size_t i = 0; i < count; ++i) {
    offsets.push_back(static_cast<std::int64_t>(std::llround(time_of(u) * 1e9)));
    u += UnitGap(settings, rng);
  }
  return offsets;
}

}  // namespace

std::vector<std::int64_t> GenerateArrivalOffsetsNs(const ArrivalSettings& settings,
                                                   std::size_t count) {
  if (settings.kind == ArrivalSettings::Kind::kTrace) {
    throw InputError(
        {.source = "<options>", .field = "arrival"},
        "a generated workload has no trace timestamps; use poisson, gamma or constant");
  }
  if (!(settings.rate_per_s > 0) || !std::isfinite(settings.rate_per_s)) {
    throw InputError({.source = "<options>", .field = "rate"},
                     fmt::format("expected a rate > 0 per second, got {}", settings.rate_per_s));
  }
  if (settings.kind == ArrivalSettings::Kind::kGamma && !(settings.burstiness_cv > 0)) {
    throw InputError(
        {.source = "<options>", .field = "burstiness"},
        fmt::format("expected a coefficient of variation > 0, got {}", settings.burstiness_cv));
  }
  if (settings.ramp_end_rate_per_s) return GenerateRampOffsetsNs(settings, count);
  Rng rng(settings.seed);
  const double mean_gap_s = 1.0 / settings.rate_per_s;
  const double cv2 = settings.burstiness_cv * settings.burstiness_cv;
  std::vector<std::int64_t> offsets;
  offsets.reserve(count);
  double now_s = 0;
  for (std::size_t i = 0; i < count; ++i) {
    offsets.push_back(static_cast<std::int64_t>(std::llround(now_s * 1e9)));
    switch (settings.kind) {
      case ArrivalSettings::Kind::kPoisson:
        now_s += rng.Exponential(mean_gap_s);
        break;
      case ArrivalSettings::Kind::kGamma:
        // shape k = 1/cv^2 and scale = mean * cv^2 give the mean and the cv asked for.
        now_s += rng.Gamma(1.0 / cv2, mean_gap_s * cv2);
        break;
      default:
        now_s += mean_gap_s;
        break;
    }
  }
  return offsets;
}

namespace {

std::int64_t FirstExplicitArrival(const Session& session) {
  return session.turns.empty() ? 0 : session.turns[0].arrival_offset_ns;
}

}  // namespace

std::int64_t ApplyArrivals(Trace& trace, const ArrivalSettings& settings) {
  if (settings.kind != ArrivalSettings::Kind::kTrace) {
    const auto offsets = GenerateArrivalOffsetsNs(settings, trace.sessions.size());
    for (std::size_t i = 0; i < trace.sessions.size(); ++i) {
      Session& session = trace.sessions[i];
      const std::int64_t delta = offsets[i] - FirstExplicitArrival(session);
      for (Request& r : session.turns) {
        if (r.after_turns.empty()) r.arrival_offset_ns += delta;
      }
      // A later explicit turn recorded before the first one would now be negative.
      for (Request& r : session.turns) {
        if (r.arrival_offset_ns < 0) {
          throw Error(fmt::format("session '{}': a turn starts before the session's first turn",
                                  session.id));
        }
      }
    }
    trace.start_unix_ns.reset();
    return 0;
  }
  if (!(settings.time_scale > 0)) {
    throw InputError({.source = "<options>", .field = "time_scale"},
                     fmt::format("expected > 0, got {}", settings.time_scale));
  }
  const auto start_ns =
      static_cast<std::int64_t>(std::llround(settings.window_start_s.value_or(0.0) * 1e9));
  const auto end_ns = settings.window_end_s
                          ? static_cast<std::int64_t>(std::llround(*settings.window_end_s * 1e9))
                          : INT64_MAX;
  std::vector<Session> kept;
  kept.reserve(trace.sessions.size());
  std::int64_t dropped = 0;
  for (Session& session : trace.sessions) {
    const std::int64_t first = FirstExplicitArrival(session);
    if (first < start_ns || first >= end_ns) {
      ++dropped;
      continue;
    }
    for (Request& r : session.turns) {
      if (!r.after_turns.empty()) continue;
      if (r.arrival_offset_ns < start_ns) {
        throw Error(fmt::format("session '{}': a turn starts before the window start {} s",
                                session.id, start_ns / 1e9));
      }
      const double scaled =
          static_cast<double>(r.arrival_offset_ns - start_ns) * settings.time_scale;
      r.arrival_offset_ns = static_cast<std::int64_t>(std::llround(scaled));
    }
    kept.push_back(std::move(session));
  }
  trace.sessions = std::move(kept);
  if (trace.start_unix_ns && start_ns != 0) *trace.start_unix_ns += start_ns;
  if (settings.time_scale != 1.0) trace.start_unix_ns.reset();
  return dropped;
}

}  // namespace infermeter::workloads
