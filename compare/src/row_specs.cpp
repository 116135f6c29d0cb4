#include "row_specs.h"

#include <array>
#include <charconv>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "infermeter/dashboard/comparison.h"

namespace infermeter::compare::detail {
namespace {

struct Named {
  const char* metric;
  const char* label;
};

constexpr std::array<Named, 9> kThroughput{{
    {"output_tokens_per_s", "Output tokens/s"},
    {"input_tokens_per_s", "Input tokens/s"},
    {"total_tokens_per_s", "Total tokens/s"},
    {"request_throughput_per_s", "Requests/s"},
    {"goodput_requests_per_s", "Goodput requests/s"},
    {"goodput_output_tokens_per_s", "Goodput output tokens/s"},
    {"good_fraction", "Good fraction (meets every SLO)"},
    {"steady_state_output_tokens_per_s", "Steady-state output tokens/s"},
    {"peak_output_tokens_per_s", "Peak output tokens/s (1 s)"},
}};

// Latency families in reading order, and the statistics of each.
constexpr std::array<Named, 14> kLatencyFamilies{{
    {"ttft", "TTFT"},
    {"tpot", "TPOT"},
    {"itl", "ITL"},
    {"e2e", "E2E"},
    {"ttst", "Time to second token"},
    {"ntpot", "Normalised TPOT"},
    {"itl_per_request_mean", "Per-request mean ITL"},
    {"ttfvt", "Time to first visible token"},
    {"ttft_from_scheduled", "TTFT from scheduled"},
    {"e2e_from_scheduled", "E2E from scheduled"},
    {"engine_queue", "Engine queue time"},
    {"connect", "HTTP connect"},
    {"first_byte", "HTTP first byte"},
    {"schedule_lag", "Schedule lag"},
}};
constexpr std::array<Named, 9> kStatistics{{{"p50", "p50"},
                                            {"p90", "p90"},
                                            {"p95", "p95"},
                                            {"p99", "p99"},
                                            {"p99_9", "p99.9"},
                                            {"mean", "mean"},
                                            {"std", "std"},
                                            {"min", "min"},
                                            {"max", "max"}}};

struct Efficiency {
  const char* metric;
  const char* label;
  bool higher_is_better;
};
constexpr std::array<Efficiency, 8> kStoredEfficiency{{
    {"mfu", "MFU", true},
    {"mbu", "MBU", true},
    {"output_tokens_per_j", "Output tokens/J (energy)", true},
    {"energy_j_per_output_token", "Energy per output token", false},
    {"kv_bytes_peak", "Peak KV cache (engine)", false},
    {"server_kv_bytes_peak", "Peak KV cache (server)", false},
    {"kv_analytic_bytes_peak", "Peak KV cache (analytic)", false},
    {"achieved_flops_per_s", "Achieved FLOP/s", true},
}};

constexpr double kSecondsPerHour = 3600;

std::optional<double> Positive(std::optional<double> value) {
  if (value && *value > 0) return value;
  return std::nullopt;
}

// The `price_per_hour` label: what the whole setup costs per hour (any currency, shown as $).
std::optional<double> PricePerHour(const dashboard::CatalogRun& run) {
  const auto label = run.run.info.labels.find("price_per_hour");
  if (label == run.run.info.labels.end()) return std::nullopt;
  double value = 0;
  const std::string& text = label->second;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return Positive(value);
}

// The peak memory bandwidth MBU was computed against: achieved bytes/s ÷ MBU.
std::optional<double> PeakBandwidth(const dashboard::CatalogRun& run) {
  const auto achieved = run.Metric("achieved_memory_bytes_per_s");
  const auto mbu = run.Metric("mbu");
  if (achieved && mbu && *mbu > 0 && *achieved > 0) return *achieved / *mbu;
  return std::nullopt;
}

using NormaliserOf = std::function<std::optional<Normaliser>(const dashboard::CatalogRun&)>;

// Output tokens/s divided by what the run's hardware offers.
NormaliserOf DividedBy(std::function<std::optional<double>(const dashboard::CatalogRun&)> divisor) {
  return [divisor =
              std::move(divisor)](const dashboard::CatalogRun& run) -> std::optional<Normaliser> {
    const std::optional<double> d = Positive(divisor(run));
    if (!d) return std::nullopt;
    return Normaliser{.factor = 1 / *d};
  };
}

std::vector<RowSpec> NormalisedRows() {
  const auto scale = [](const dashboard::CatalogRun& run) { return dashboard::HardwareScale(run); };
  std::vector<RowSpec> rows;
  const auto add = [&rows](const char* metric, const char* label, const char* unit,
                           bool higher_is_better, NormaliserOf normaliser, const char* missing) {
    rows.push_back({.metric = metric,
                    .label = label,
                    .unit = unit,
                    .section = Section::kEfficiency,
                    .higher_is_better = higher_is_better,
                    .base = "output_tokens_per_s",
                    .normaliser = std::move(normaliser),
                    .missing = missing});
  };
  add("output_tokens_per_s_per_device", "Output tokens/s per device", "tokens/s/device", true,
      DividedBy([scale](const dashboard::CatalogRun& run) -> std::optional<double> {
        const auto devices = scale(run).devices;
        if (!devices) return std::nullopt;
        return static_cast<double>(*devices);
      }),
      "no device count (a remote server's devices are unknown: `--label devices=N`)");
  add("output_tokens_per_s_per_peak_pflops", "Output tokens/s per peak PFLOP/s",
      "tokens/s per PFLOP/s", true,
      DividedBy([scale](const dashboard::CatalogRun& run) -> std::optional<double> {
        const auto peak = scale(run).peak_flops_per_s;
        if (!peak) return std::nullopt;
        return *peak / 1e15;
      }),
      "no MFU (no peak FLOP/s known for its hardware)");
  add("output_tokens_per_s_per_peak_tbps", "Output tokens/s per peak TB/s", "tokens/s per TB/s",
      true, DividedBy([](const dashboard::CatalogRun& run) -> std::optional<double> {
        const auto peak = PeakBandwidth(run);
        if (!peak) return std::nullopt;
        return *peak / 1e12;
      }),
      "no MBU (no peak memory bandwidth known for its hardware)");
  add("output_tokens_per_s_per_w", "Output tokens/s per W (mean power)", "tokens/J", true,
      DividedBy([scale](const dashboard::CatalogRun& run) { return scale(run).mean_power_w; }),
      "no power readings");
  add(
      "output_tokens_per_dollar", "Output tokens per $", "tokens/$", true,
      [](const dashboard::CatalogRun& run) -> std::optional<Normaliser> {
        const auto price = PricePerHour(run);
        if (!price) return std::nullopt;
        return Normaliser{.factor = kSecondsPerHour / *price};  // tokens/s x s/h / ($/h)
      },
      "no `price_per_hour` label");
  add(
      "usd_per_million_output_tokens", "$ per 1M output tokens", "$", false,
      [](const dashboard::CatalogRun& run) -> std::optional<Normaliser> {
        const auto price = PricePerHour(run);
        if (!price) return std::nullopt;
        // $/h / (tokens/s x s/h) x 1e6
        return Normaliser{.factor = *price / kSecondsPerHour * 1e6, .reciprocal = true};
      },
      "no `price_per_hour` label");
  return rows;
}

}  // namespace

std::vector<RowSpec> RowSpecs(const std::vector<Subject>& subjects) {
  std::map<std::string, std::string> units;  // every stored figure, with its unit
  for (const Subject& subject : subjects) {
    for (const dashboard::CatalogRun& run : subject.runs) {
      for (const results::RunMetric& metric : run.metrics) units.emplace(metric.name, metric.unit);
    }
  }
  std::vector<RowSpec> rows;
  std::set<std::string> placed;
  const auto stored = [&](const std::string& metric, std::string label, Section section,
                          std::optional<bool> higher_is_better) {
    const auto unit = units.find(metric);
    if (unit == units.end() || !placed.insert(metric).second) return;
    rows.push_back({.metric = metric,
                    .label = std::move(label),
                    .unit = unit->second,
                    .section = section,
                    .higher_is_better = higher_is_better,
                    .base = metric,
                    .normaliser = {},
                    .missing = {}});
  };
  for (const Named& figure : kThroughput) {
    stored(figure.metric, figure.label, Section::kThroughput, true);
  }
  for (const Named& family : kLatencyFamilies) {
    for (const Named& statistic : kStatistics) {
      stored(fmt::format("{}_{}_ms", family.metric, statistic.metric),
             fmt::format("{} {}", family.label, statistic.label), Section::kLatency, false);
    }
  }
  if (units.contains("output_tokens_per_s")) {
    for (RowSpec& row : NormalisedRows()) {
      placed.insert(row.metric);
      rows.push_back(std::move(row));
    }
  }
  for (const Efficiency& figure : kStoredEfficiency) {
    stored(figure.metric, figure.label, Section::kEfficiency, figure.higher_is_better);
  }
  for (const auto& [metric, unit] : units) stored(metric, metric, Section::kOther, std::nullopt);
  return rows;
}

}  // namespace infermeter::compare::detail
