#pragma once
// The tables the views show, built from the core's values (no widgets involved, so each is
// tested on its own): a run's stored figures, its errors by class, its configuration and
// hardware, and the comparison of several runs.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "infermeter/dashboard/comparison.h"
#include "infermeter/results/records.h"
#include "table_model.h"

namespace infermeter::dashboard_app {

// Figure | Value | Unit, one row per run_metrics row, exact value behind the text.
TableSnapshot FiguresTable(const std::vector<results::RunMetric>& metrics);

// Error class | Requests | Share of all requests.
TableSnapshot ErrorsTable(const std::map<std::string, std::int64_t>& errors_by_class,
                          std::int64_t requests);

// Field | Value: the run's own fields, then its hardware and configuration JSON flattened to
// dotted paths ("hardware.gpus[0].name"), then what each collector did.
TableSnapshot RunConfigTable(const results::RunRow& run);

// Figure | Unit | then per run its value and its ratio to the baseline.
TableSnapshot ComparisonTable(const dashboard::Comparison& comparison,
                              const std::vector<dashboard::CatalogRun>& runs);

// "run 3 (h100-chat)": how views name a run.
QString RunTitle(const results::RunRow& run);

}  // namespace infermeter::dashboard_app
