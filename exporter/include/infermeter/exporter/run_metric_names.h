#pragma once
// How a stored summary figure (a `run_metrics` row: name and unit) is exported to Prometheus:
// the metric family, in base units with the unit as a suffix, and for a distribution's statistic
// the `stat` label. One rule for every figure, so new figures export without a table to keep in
// step; docs/PROMETHEUS.md ("Summary figures of a finished run") lists the rules.
//
//   ttft_p99_ms (ms)            -> infermeter_run_ttft_seconds{stat="p99"}, x 0.001
//   ttft_count (requests)       -> infermeter_run_ttft_samples (_count is for histograms)
//   output_tokens_per_s         -> infermeter_run_output_tokens_per_second
//   kv_bytes_peak (bytes)       -> infermeter_run_kv_peak_bytes
//   process_cpu_percent_mean (%) -> infermeter_run_process_cpu_mean_ratio, x 0.01
//   mfu ("")                    -> infermeter_run_mfu_ratio
//   flops_total (FLOP)          -> infermeter_run_flops

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/core/ids.h"
#include "infermeter/results/records.h"

namespace infermeter::exporter {

struct RunMetricName {
  std::string family;  // "infermeter_run_ttft_seconds"
  std::string stat;    // "p99", "p99.9", "mean", ...; "" when the figure is not a statistic
  double scale = 1;    // exported value = stored value * scale
  friend bool operator==(const RunMetricName&, const RunMetricName&) = default;
};

// Never fails: any name is made a valid metric name.
RunMetricName ExportedRunMetricName(std::string_view name, std::string_view unit);

// One exported summary gauge.
struct RunMetricPoint {
  RunMetricName name;
  double value = 0;  // in base units
};

// Every figure of one run, in stored order. Two stored figures that would export as the same
// series keep the first (none of the figures the harness and collectors store do).
std::vector<RunMetricPoint> ExportedRunMetrics(const std::vector<results::RunMetric>& metrics);

// Turns any text into a valid Prometheus metric or label name: characters outside
// [a-zA-Z0-9_] become '_', and a leading digit gets a '_' before it.
std::string ValidPrometheusName(std::string_view text);

// The labels of `infermeter_run_info` for a run: run_id, name, engine, model, hardware
// (results::HardwareSummary of the hardware JSON, or the user's own `hardware` label), workload,
// and each user label (its key made a valid label name; a key that clashes with one of ours, or
// starts with "__", is prefixed with "label_").
std::map<std::string, std::string> RunInfoLabels(RunId run, const results::RunInfo& info);

// How a run stands, as `infermeter_run_info`'s `status` and `validity` labels (validity is
// empty until the run has a verdict). Both exporters of runs label them this one way.
void SetRunOutcomeLabels(std::map<std::string, std::string>& labels, results::RunStatus status,
                         std::optional<results::Validity> validity);

// The families every exporter of runs serves beside the summary figures, and their help.
inline constexpr const char* kRunInfoFamily = "infermeter_run_info";
inline constexpr const char* kRunInfoHelp = "A run: what it is and how it ended (value 1).";
inline constexpr const char* kRunStartFamily = "infermeter_run_start_time_seconds";
inline constexpr const char* kRunStartHelp = "Unix time the run started.";
inline constexpr const char* kRunEndFamily = "infermeter_run_end_time_seconds";
inline constexpr const char* kRunEndHelp = "Unix time the run ended.";
inline constexpr const char* kRunSummaryHelp =
    "A summary figure of a finished run, as stored in run_metrics (docs/PROMETHEUS.md).";

}  // namespace infermeter::exporter
