#pragma once
// Which collector samples a run exports live, and as what: the mapping from a stored sample
// (source, metric, labels) to a Prometheus series in base units. docs/PROMETHEUS.md lists every
// row; a sample with no row here (per-request series, the analytic series computed after the
// run) is stored but not exported live.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infermeter/results/records.h"

namespace infermeter::exporter {

enum class SampleKind {
  kGauge,    // the sample's value, as it is
  kCounter,  // a running total since the run started: the counter grows by each difference
};

struct SampleMetric {
  std::string_view source;  // the collector (SampleRecord::source)
  std::string_view metric;  // SampleRecord::metric
  std::string_view family;  // "infermeter_kv_cache_used_bytes"
  std::string_view help;
  SampleKind kind = SampleKind::kGauge;
  double scale = 1;  // percent -> ratio
  // Fixed labels the family needs to tell its sources apart (source="server", accelerator="gpu").
  std::vector<std::pair<std::string_view, std::string_view>> fixed_labels;
  // The sample labels it keeps, renamed: {"gpu", "device"}. A sample whose labels are not exactly
  // these (e.g. kv_used_bytes by kind, exported as a family of its own) does not match this row.
  std::vector<std::pair<std::string_view, std::string_view>> kept_labels;
};

// Every row of the mapping.
const std::vector<SampleMetric>& SampleMetrics();

// A sample as exported: its row and its labels (run_id excluded).
struct ExportedSample {
  const SampleMetric* metric = nullptr;
  std::vector<std::pair<std::string, std::string>> labels;
};

// The row for `sample`, with its labels; nullopt when it is not exported live.
std::optional<ExportedSample> FindSampleMetric(const results::SampleRecord& sample);

}  // namespace infermeter::exporter
