#include "infermeter/harness/validity.h"

#include <fmt/format.h>

namespace infermeter::harness {

ValidityVerdict JudgeRun(const RunSummary& summary, const ValiditySettings& settings,
                         bool interrupted, std::int64_t lost_requests) {
  ValidityVerdict verdict;
  auto& reasons = verdict.reasons;
  if (interrupted) reasons.push_back("the run was interrupted before its end");
  if (summary.requests_completed < settings.min_completed_requests) {
    reasons.push_back(fmt::format("{} requests completed; at least {} are required",
                                  summary.requests_completed, settings.min_completed_requests));
  }
  const std::int64_t judged = summary.requests_completed + summary.requests_failed;
  if (judged > 0) {
    const double error_fraction =
        static_cast<double>(summary.requests_failed) / static_cast<double>(judged);
    if (error_fraction > settings.max_error_fraction) {
      reasons.push_back(fmt::format("{} of {} requests failed ({:.2f}%); at most {:.2f}% may fail",
                                    summary.requests_failed, judged, 100.0 * error_fraction,
                                    100.0 * settings.max_error_fraction));
    }
  }
  if (summary.schedule_lag_ms.count > 0 &&
      summary.schedule_lag_ms.p99 > settings.max_schedule_lag_p99_ms) {
    reasons.push_back(fmt::format(
        "schedule lag p99 is {:.3f} ms, above {:.3f} ms: the client could not send on time, so "
        "the load was not the load asked for",
        summary.schedule_lag_ms.p99, settings.max_schedule_lag_p99_ms));
  }
  if (settings.exact_output_lengths && summary.requests_completed > 0) {
    const double mismatch_fraction = static_cast<double>(summary.usage_mismatches) /
                                     static_cast<double>(summary.requests_completed);
    if (mismatch_fraction > settings.max_output_mismatch_fraction) {
      reasons.push_back(fmt::format(
          "{} of {} completed requests returned a different number of output tokens than "
          "requested ({} stopped short); output lengths were not honoured",
          summary.usage_mismatches, summary.requests_completed, summary.output_shortfalls));
    }
  }
  if (lost_requests > 0) {
    reasons.push_back(fmt::format(
        "{} requests were never reported back by the engine after being cancelled", lost_requests));
  }
  verdict.validity = reasons.empty() ? results::Validity::kValid : results::Validity::kInvalid;
  return verdict;
}

}  // namespace infermeter::harness
