#pragma once
// How `infermeter run` shows a finished run: a summary table per run on stdout, or one JSON
// object (docs/RESULTS.md, "The run summary JSON").

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "infermeter/harness/runner.h"

namespace infermeter::cli {

struct ReportedRun {
  std::string scenario;     // "agentic", "rate=4", ...
  std::string description;  // what the scenario is
  std::string workload_hash;
  harness::RunOutcome outcome;
};

void PrintRunSummary(std::ostream& out, const ReportedRun& run);
nlohmann::json RunSummaryJson(const ReportedRun& run);

}  // namespace infermeter::cli
