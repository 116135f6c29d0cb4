#pragma once
// Run validity, as MLPerf LoadGen gives it: every run ends VALID or INVALID, and an INVALID run
// says why. A run is invalid when its figures cannot be trusted as a measurement of the engine:
// the client fell behind its own schedule, too many requests failed, too few completed, the
// engine did not produce the output lengths asked for, or the run was cut short.

#include <cstdint>
#include <string>
#include <vector>

#include "infermeter/harness/metrics.h"
#include "infermeter/results/records.h"

namespace infermeter::harness {

struct ValiditySettings {
  // The client could not keep up when p99 schedule lag (sent - released) exceeds this.
  double max_schedule_lag_p99_ms = 5.0;
  // failed / (completed + failed) above this is too many errors.
  double max_error_fraction = 0.01;
  std::int64_t min_completed_requests = 1;
  // When exact output lengths were asked for (ignore_eos), the fraction of completed requests
  // whose output length differs from the request that is tolerated.
  bool exact_output_lengths = true;
  double max_output_mismatch_fraction = 0.0;
};

struct ValidityVerdict {
  results::Validity validity = results::Validity::kValid;
  std::vector<std::string> reasons;  // one sentence each, with the figures; empty when valid
};

// `interrupted`: the run was stopped by the user before its end. `lost_requests`: requests the
// engine never reported back.
ValidityVerdict JudgeRun(const RunSummary& summary, const ValiditySettings& settings,
                         bool interrupted, std::int64_t lost_requests);

}  // namespace infermeter::harness
