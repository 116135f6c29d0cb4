#include "infermeter/results/records.h"

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::results {

std::string_view ToString(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kCompleted:
      return "completed";
    case RunStatus::kInterrupted:
      return "interrupted";
    case RunStatus::kFailed:
      return "failed";
  }
  return "failed";
}

RunStatus ParseRunStatus(std::string_view text) {
  if (text == "running") return RunStatus::kRunning;
  if (text == "completed") return RunStatus::kCompleted;
  if (text == "interrupted") return RunStatus::kInterrupted;
  if (text == "failed") return RunStatus::kFailed;
  throw Error(
      fmt::format("unknown run status '{}' (expected running, completed, interrupted or "
                  "failed)",
                  text));
}

std::string_view ToString(RequestStatus status) {
  switch (status) {
    case RequestStatus::kOk:
      return "ok";
    case RequestStatus::kError:
      return "error";
    case RequestStatus::kCancelled:
      return "cancelled";
  }
  return "error";
}

RequestStatus ParseRequestStatus(std::string_view text) {
  if (text == "ok") return RequestStatus::kOk;
  if (text == "error") return RequestStatus::kError;
  if (text == "cancelled") return RequestStatus::kCancelled;
  throw Error(fmt::format("unknown request status '{}' (expected ok, error or cancelled)", text));
}

std::string_view ToString(Validity validity) {
  return validity == Validity::kValid ? "valid" : "invalid";
}

Validity ParseValidity(std::string_view text) {
  if (text == "valid") return Validity::kValid;
  if (text == "invalid") return Validity::kInvalid;
  throw Error(fmt::format("unknown run validity '{}' (expected valid or invalid)", text));
}

std::string_view ToString(RunGroupKind kind) {
  switch (kind) {
    case RunGroupKind::kSuite:
      return "suite";
    case RunGroupKind::kSweep:
      return "sweep";
    case RunGroupKind::kGoodputSearch:
      return "goodput_search";
    case RunGroupKind::kRepeat:
      return "repeat";
  }
  return "suite";
}

RunGroupKind ParseRunGroupKind(std::string_view text) {
  if (text == "suite") return RunGroupKind::kSuite;
  if (text == "sweep") return RunGroupKind::kSweep;
  if (text == "goodput_search") return RunGroupKind::kGoodputSearch;
  if (text == "repeat") return RunGroupKind::kRepeat;
  throw Error(fmt::format(
      "unknown run group kind '{}' (expected suite, sweep, goodput_search or repeat)", text));
}

}  // namespace infermeter::results
