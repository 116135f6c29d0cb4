#include "infermeter/dashboard/comparison.h"

#include <charconv>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/core/error.h"
#include "infermeter/results/hardware_summary.h"

namespace infermeter::dashboard {
namespace {

constexpr double kFlopsPerPflops = 1e15;

enum class Kind {
  kThroughput,  // normalised by the hardware, higher is better
  kLatency,     // ms, lower is better, never normalised
  kOther,       // not normalised; `higher_is_better` says which way is good
};

struct FigureSpec {
  std::string_view label;
  std::string_view unit;                  // as stored, when no run says otherwise
  std::vector<std::string_view> metrics;  // run_metrics names, first present wins
  Kind kind = Kind::kOther;
  bool higher_is_better = true;
};

const std::vector<FigureSpec>& FigureSpecs() {
  static const std::vector<FigureSpec> kSpecs = [] {
    std::vector<FigureSpec> specs{
        {"Output tokens/s", "tokens/s", {"output_tokens_per_s"}, Kind::kThroughput},
        {"Input tokens/s", "tokens/s", {"input_tokens_per_s"}, Kind::kThroughput},
        {"Total tokens/s", "tokens/s", {"total_tokens_per_s"}, Kind::kThroughput},
        {"Requests/s", "requests/s", {"request_throughput_per_s"}, Kind::kThroughput},
        {"Goodput requests/s", "requests/s", {"goodput_requests_per_s"}, Kind::kThroughput},
        {"Goodput output tokens/s", "tokens/s", {"goodput_output_tokens_per_s"}, Kind::kThroughput},
        {"Steady-state output tokens/s",
         "tokens/s",
         {"steady_state_output_tokens_per_s"},
         Kind::kThroughput},
    };
    for (const auto& [label, name] : {std::pair{"TTFT p50", "ttft_p50_ms"},
                                      {"TTFT p99", "ttft_p99_ms"},
                                      {"TPOT p50", "tpot_p50_ms"},
                                      {"TPOT p99", "tpot_p99_ms"},
                                      {"ITL p50", "itl_p50_ms"},
                                      {"ITL p99", "itl_p99_ms"},
                                      {"E2E p50", "e2e_p50_ms"},
                                      {"E2E p99", "e2e_p99_ms"}}) {
      specs.push_back({label, "ms", {name}, Kind::kLatency, /*higher_is_better=*/false});
    }
    specs.push_back({"MFU", "", {"mfu"}, Kind::kOther, /*higher_is_better=*/true});
    // Peak KV with the Runs table's fallbacks, so both views show the same figure.
    for (const KeyFigure& key : KeyFigures()) {
      if (key.header == "Peak KV") {
        specs.push_back(
            {key.header, key.unit, key.metrics, Kind::kOther, /*higher_is_better=*/false});
      }
    }
    // Energy figures are per token already: never divided again by the hardware.
    specs.push_back({"Output tokens/J",
                     "tokens/J",
                     {"output_tokens_per_j"},
                     Kind::kOther,
                     /*higher_is_better=*/true});
    specs.push_back({"Energy per output token",
                     "J",
                     {"energy_j_per_output_token"},
                     Kind::kOther,
                     /*higher_is_better=*/false});
    return specs;
  }();
  return kSpecs;
}

// The first of `metrics` the run has, with its stored unit.
const results::RunMetric* Find(const CatalogRun& run,
                               const std::vector<std::string_view>& metrics) {
  for (const std::string_view name : metrics) {
    for (const results::RunMetric& metric : run.metrics) {
      if (metric.name == name) return &metric;
    }
  }
  return nullptr;
}

std::string RunName(const CatalogRun& run) {
  return run.run.info.name.empty()
             ? fmt::format("run {}", run.run.id.value)
             : fmt::format("run {} ({})", run.run.id.value, run.run.info.name);
}

std::optional<int> PositiveInt(const std::string& text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

std::optional<int> DevicesFromHardware(const std::string& hardware_json) {
  const nlohmann::json hardware = nlohmann::json::parse(hardware_json, nullptr, false);
  if (!hardware.is_object()) return std::nullopt;
  // A remote server's devices are unknown to the client; its own GPUs, if any, did not serve.
  // (A server on this machine served with the devices the collectors saw.)
  const auto device = hardware.find("device");
  if (device != hardware.end() && device->is_string() &&
      results::ServedRemotely(device->get<std::string>())) {
    return std::nullopt;
  }
  for (const char* key : {"gpus", "npus"}) {
    const auto devices = hardware.find(key);
    if (devices != hardware.end() && devices->is_array() && !devices->empty()) {
      return static_cast<int>(devices->size());
    }
  }
  // A CPU host (the embedded engine with no accelerator): the host is the one device.
  const auto cpu = hardware.find("cpu_model");
  if (cpu != hardware.end() && cpu->is_string() && !cpu->get<std::string>().empty()) return 1;
  return std::nullopt;
}

// What a throughput of `run` is divided by under `normalisation`; nullopt when unknown.
std::optional<double> Divisor(const RunHardwareScale& scale, Normalisation normalisation) {
  std::optional<double> divisor;
  switch (normalisation) {
    case Normalisation::kNone:
      return 1.0;
    case Normalisation::kPerDevice:
      if (scale.devices) divisor = *scale.devices;
      break;
    case Normalisation::kPerPeakFlops:
      if (scale.peak_flops_per_s) divisor = *scale.peak_flops_per_s / kFlopsPerPflops;
      break;
    case Normalisation::kPerWatt:
      divisor = scale.mean_power_w;
      break;
  }
  if (divisor && *divisor > 0) return divisor;
  return std::nullopt;
}

// "tokens/s" -> "tokens/s/device", "tokens/s per PFLOP/s", "tokens/J".
std::string NormalisedUnit(std::string_view unit, Normalisation normalisation) {
  switch (normalisation) {
    case Normalisation::kNone:
      return std::string(unit);
    case Normalisation::kPerDevice:
      return fmt::format("{}/device", unit);
    case Normalisation::kPerPeakFlops:
      return fmt::format("{} per PFLOP/s", unit);
    case Normalisation::kPerWatt:
      // (things/s) / W = things/J
      if (unit.ends_with("/s")) return fmt::format("{}/J", unit.substr(0, unit.size() - 2));
      return fmt::format("{}/W", unit);
  }
  return std::string(unit);
}

std::string MissingScaleWarning(const CatalogRun& run, Normalisation normalisation) {
  switch (normalisation) {
    case Normalisation::kNone:
      break;
    case Normalisation::kPerDevice:
      return fmt::format(
          "{}: its device count is unknown (a remote server, or no hardware description), so it "
          "has no per-device figures (runs made with `--label devices=N` have one)",
          RunName(run));
    case Normalisation::kPerPeakFlops:
      return fmt::format(
          "{}: no MFU and achieved FLOP/s stored (no peak FLOP/s was known for its hardware), so "
          "it has no per-PFLOP/s figures",
          RunName(run));
    case Normalisation::kPerWatt:
      return fmt::format("{}: no power readings, so it has no per-watt figures", RunName(run));
  }
  return {};
}

void AddLikeForLikeWarnings(const std::vector<CatalogRun>& runs, std::size_t baseline,
                            std::vector<std::string>& warnings) {
  const results::RunInfo& base = runs[baseline].run.info;
  const std::string base_name = RunName(runs[baseline]);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (i == baseline) continue;
    const results::RunInfo& info = runs[i].run.info;
    // The hash says whether the requests were the same; a name only says what they were called.
    const bool by_hash = !info.workload_hash.empty() && !base.workload_hash.empty();
    const bool differ = by_hash ? info.workload_hash != base.workload_hash
                                : info.workload_name != base.workload_name;
    if (differ && info.workload_name != base.workload_name) {
      warnings.push_back(fmt::format("workloads differ: {} ran '{}', baseline {} ran '{}'",
                                     RunName(runs[i]), info.workload_name, base_name,
                                     base.workload_name));
    } else if (differ) {
      // Same name, other requests: a regenerated trace, another seed, length or time window.
      warnings.push_back(fmt::format(
          "workloads differ: {} and baseline {} both ran '{}' but with different requests "
          "(workload hash {} vs {})",
          RunName(runs[i]), base_name, info.workload_name, info.workload_hash, base.workload_hash));
    }
    if (info.model != base.model) {
      warnings.push_back(fmt::format("models differ: {} ran '{}', baseline {} ran '{}'",
                                     RunName(runs[i]), info.model, base_name, base.model));
    }
  }
}

void AddOutcomeWarnings(const std::vector<CatalogRun>& runs, std::vector<std::string>& warnings) {
  for (const CatalogRun& run : runs) {
    for (std::string& warning : OutcomeWarnings(run)) warnings.push_back(std::move(warning));
  }
}

}  // namespace

std::vector<std::string> OutcomeWarnings(const CatalogRun& run) {
  std::vector<std::string> warnings;
  if (run.run.status != results::RunStatus::kCompleted) {
    warnings.push_back(
        fmt::format("{} is {}, not completed: its figures may cover only part of its workload",
                    RunName(run), results::ToString(run.run.status)));
  }
  if (run.run.validity == results::Validity::kInvalid) {
    warnings.push_back(run.run.validity_reasons.empty()
                           ? fmt::format("{} is INVALID", RunName(run))
                           : fmt::format("{} is INVALID: {}", RunName(run),
                                         fmt::join(run.run.validity_reasons, "; ")));
  }
  return warnings;
}

std::string_view ToString(Normalisation normalisation) {
  switch (normalisation) {
    case Normalisation::kNone:
      return "none";
    case Normalisation::kPerDevice:
      return "per device";
    case Normalisation::kPerPeakFlops:
      return "per peak PFLOP/s";
    case Normalisation::kPerWatt:
      return "per watt";
  }
  return "unknown";
}

RunHardwareScale HardwareScale(const CatalogRun& run) {
  RunHardwareScale scale;
  // The user knows best: `--label devices=8` for a server whose devices the client cannot see.
  if (const auto label = run.run.info.labels.find("devices"); label != run.run.info.labels.end()) {
    scale.devices = PositiveInt(label->second);
  }
  if (!scale.devices) scale.devices = DevicesFromHardware(run.run.info.hardware_json);
  // MFU = achieved / peak, so the peak the run was judged against is achieved / MFU.
  const auto achieved = run.Metric("achieved_flops_per_s");
  const auto mfu = run.Metric("mfu");
  if (achieved && mfu && *mfu > 0 && *achieved > 0) scale.peak_flops_per_s = *achieved / *mfu;
  // Both collectors store the sum over their devices (docs/COLLECTORS.md); a host with GPUs and
  // NPUs draws both.
  const auto gpu_w = run.Metric("gpu_power_mean_w");
  const auto npu_w = run.Metric("npu_power_mean_w");
  if (gpu_w || npu_w) scale.mean_power_w = gpu_w.value_or(0) + npu_w.value_or(0);
  return scale;
}

Comparison CompareRuns(const std::vector<CatalogRun>& runs, std::size_t baseline,
                       Normalisation normalisation) {
  if (baseline >= runs.size()) {
    throw Error(
        fmt::format("baseline {} is out of range: {} run(s) compared", baseline, runs.size()));
  }
  Comparison comparison;
  comparison.baseline = baseline;
  comparison.normalisation = normalisation;

  std::vector<std::optional<double>> divisors;
  divisors.reserve(runs.size());
  for (const CatalogRun& run : runs) divisors.push_back(Divisor(HardwareScale(run), normalisation));

  AddLikeForLikeWarnings(runs, baseline, comparison.warnings);
  AddOutcomeWarnings(runs, comparison.warnings);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!divisors[i]) comparison.warnings.push_back(MissingScaleWarning(runs[i], normalisation));
  }

  for (const FigureSpec& spec : FigureSpecs()) {
    const bool normalised = spec.kind == Kind::kThroughput && normalisation != Normalisation::kNone;
    ComparedFigure figure{.metric = std::string(spec.metrics.front()),
                          .label = std::string(spec.label),
                          .unit = {},
                          .higher_is_better = spec.higher_is_better,
                          .normalised = normalised,
                          .values = {},
                          .ratios = {}};
    std::string_view stored_unit = spec.unit;
    bool any = false;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const results::RunMetric* metric = Find(runs[i], spec.metrics);
      std::optional<double> value;
      if (metric) {
        if (!any) stored_unit = metric->unit;  // "tokens/s" or "requests/s", as the run says
        any = true;
        if (!normalised) {
          value = metric->value;
        } else if (divisors[i]) {
          value = metric->value / *divisors[i];
        }
      }
      figure.values.push_back(value);
    }
    if (!any) continue;
    figure.unit =
        normalised ? NormalisedUnit(stored_unit, normalisation) : std::string(stored_unit);
    const std::optional<double> base = figure.values[baseline];
    for (const std::optional<double>& value : figure.values) {
      figure.ratios.push_back(value && base && *base != 0 ? std::optional(*value / *base)
                                                          : std::nullopt);
    }
    comparison.figures.push_back(std::move(figure));
  }
  return comparison;
}

}  // namespace infermeter::dashboard
