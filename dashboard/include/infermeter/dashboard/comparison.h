#pragma once
// The Compare view's figures: two or more runs side by side, each figure as a value per run and
// a ratio against a chosen baseline run, optionally normalised by the hardware (per device, per
// peak FLOP/s, per watt), with warnings when the runs are not like for like. Qt-free and exact:
// computed from the stored run_metrics, never from downsampled series.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/dashboard/run_catalog.h"

namespace infermeter::dashboard {

enum class Normalisation {
  kNone,
  kPerDevice,     // throughput ÷ accelerators (GPUs/NPUs in hardware_json; 1 for a CPU host)
  kPerPeakFlops,  // throughput ÷ the peak FLOP/s the run's MFU was computed against, in PFLOP/s
  kPerWatt,       // throughput ÷ mean power draw of the run's devices (tokens/s/W = tokens/J)
};
std::string_view ToString(Normalisation normalisation);  // "none", "per device", ...

// What the hardware normalisations divide by, as known for one run.
struct RunHardwareScale {
  std::optional<int> devices;              // label `devices=N` wins over hardware_json
  std::optional<double> peak_flops_per_s;  // achieved_flops_per_s / mfu, when both are stored
  // gpu_power_mean_w + npu_power_mean_w: each collector stores the sum over its devices.
  std::optional<double> mean_power_w;
};
RunHardwareScale HardwareScale(const CatalogRun& run);

// What a reader of a comparison must know of a run's outcome: not completed (its figures may
// cover part of its workload), or INVALID with the reasons. Empty for a completed, valid run.
std::vector<std::string> OutcomeWarnings(const CatalogRun& run);

struct ComparedFigure {
  std::string metric;  // run_metrics name: "output_tokens_per_s", "ttft_p99_ms"
  std::string label;   // "Output tokens/s", "TTFT p99"
  std::string unit;    // after normalisation: "tokens/s/device", "ms"
  bool higher_is_better = true;
  bool normalised = false;                    // divided by the chosen normalisation
  std::vector<std::optional<double>> values;  // one per run, in the runs' order
  std::vector<std::optional<double>> ratios;  // value / baseline's value (baseline: 1)
};

struct Comparison {
  std::size_t baseline = 0;  // index into the runs compared
  Normalisation normalisation = Normalisation::kNone;
  std::vector<ComparedFigure> figures;
  // Said above the bars: workloads differ (by workload hash, else name), models differ, runs
  // not completed or not VALID, a normalisation that some run has no figure for.
  std::vector<std::string> warnings;
};

// Compares `runs` (at least one; the Compare view asks for two or more) against runs[baseline].
// Throughput figures are normalised; latency figures never are. A figure no run has is left out;
// a run the normalisation has no divisor for gets no value (and a warning). Throws Error when
// `baseline` is not an index into `runs`.
Comparison CompareRuns(const std::vector<CatalogRun>& runs, std::size_t baseline,
                       Normalisation normalisation);

}  // namespace infermeter::dashboard
