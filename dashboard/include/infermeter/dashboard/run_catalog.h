#pragma once
// The Runs table's data: every run of a results file with its exact stored figures, loaded off
// the GUI thread as one value (the views take it whole). Read-only.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/results/records.h"

namespace infermeter::dashboard {

// A run as the Runs table and the Compare view see it.
struct CatalogRun {
  results::RunRow run;
  std::string hardware;                     // results::HardwareSummary of run.info.hardware_json
  std::vector<results::RunMetric> metrics;  // every stored run_metrics row, ordered by name

  // The stored figure `name`, if the run has one.
  std::optional<double> Metric(std::string_view name) const;
};

// The figures shown as columns of the Runs table, in order. A figure may have fallbacks: peak KV
// is the engine's own peak, else the server's, else the analytic estimate.
struct KeyFigure {
  std::string_view header;                // "Output tok/s"
  std::string_view unit;                  // as stored: "tokens/s", "ms", "" (ratio), "bytes"
  std::vector<std::string_view> metrics;  // run_metrics names, first present wins
};
const std::vector<KeyFigure>& KeyFigures();
// The run's value for `figure`, if any of its metrics is stored.
std::optional<double> KeyFigureValue(const CatalogRun& run, const KeyFigure& figure);

struct RunCatalog {
  std::string db_path;
  std::vector<CatalogRun> runs;  // by id
};

// Reads every run of the results file at `db_path` with its figures, all from one read snapshot
// (a run finishing meanwhile is seen before or after, never half way). Throws Error with a clear
// message when the file is missing, corrupt, not an infermeter file or at another schema version
// (as ResultsStore::OpenForReading), and LoadCancelled when `cancel` is seen set.
RunCatalog LoadRunCatalog(const std::string& db_path, const std::atomic<bool>* cancel = nullptr);

}  // namespace infermeter::dashboard
