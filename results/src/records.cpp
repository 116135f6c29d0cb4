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

}  // namespace infermeter::results
