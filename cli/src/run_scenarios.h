#pragma once
// What `infermeter run` replays: the built-in scenarios (agentic, long-context, synthetic), a
// trace file, and the default suite; and how the load-model options re-time them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infermeter/harness/load_settings.h"
#include "infermeter/workloads/arrival.h"
#include "infermeter/workloads/trace.h"

namespace infermeter::cli {

// The workload and load-model options of `infermeter run`, as parsed.
struct WorkloadOptions {
  std::string workload;  // agentic, long-context, synthetic or a trace file; "" = default suite
  std::string format;    // trace file format ("" = detect)
  std::optional<std::int64_t> sessions;  // sessions (agentic), documents (long-context)
  std::string input_tokens = "1024";     // synthetic: N or a distribution (fixed:V, uniform:A:B..)
  std::string output_tokens = "128";
  std::uint64_t seed = 0;

  bool replay = false;
  double time_scale = 1.0;
  std::optional<double> window_start_s, window_end_s;
  std::optional<double> rate_per_s;
  std::string arrival = "poisson";
  std::optional<double> burstiness_cv;
  std::optional<double> ramp_to_rate_per_s;
  double ramp_duration_s = 60;
  std::optional<std::int64_t> concurrency;
  std::optional<std::int64_t> requests;  // stop after N measured requests
  std::int64_t warmup_requests = 0;
};

struct Scenario {
  std::string name;  // "agentic", "long-context", "synthetic", or the trace file's name
  workloads::Trace trace;
  bool has_timestamps = false;  // a trace file with arrival times: replayed by default
  std::string description;      // one line for the config and the summary
  // SLOs judged when the user gives no --slo: interactive targets for the reference engine on a
  // small CPU, so goodput is shown by default (empty: none).
  std::string default_slo;
};

// The scenario `options.workload` names. Throws InputError for unknown names and bad values.
Scenario BuildScenario(const WorkloadOptions& options);
// `infermeter run` with no workload: an agentic and a long-context scenario sized to finish in
// one to two minutes on two cores with the v4-mini reference model.
std::vector<Scenario> DefaultSuite(const WorkloadOptions& options);

// How the options re-time a scenario: replay its timestamps, re-time its sessions at a rate
// (`rate_override` from a sweep or search replaces --rate), or leave the arrivals alone (closed
// loop, or the generator's own). Returns the arrival settings applied, if any.
std::optional<workloads::ArrivalSettings> ApplyLoadModel(workloads::Trace& trace,
                                                         const Scenario& scenario,
                                                         const WorkloadOptions& options,
                                                         std::optional<double> rate_override);

// Open or closed loop, concurrency cap, warm-up and request limit from the options
// (`concurrency_override` from a concurrency sweep replaces --concurrency).
harness::LoadSettings MakeLoadSettings(const WorkloadOptions& options, bool open_loop,
                                       std::optional<std::int64_t> concurrency_override);

}  // namespace infermeter::cli
