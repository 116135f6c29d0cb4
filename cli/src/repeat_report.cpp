#include "repeat_report.h"

#include <cmath>

#include <fmt/format.h>

#include "table.h"

namespace infermeter::cli {
namespace {

// The figures a reader compares hardware by; the JSON holds every stored figure.
struct KeyFigure {
  const char* name;   // run_metrics.name
  const char* shown;  // with its unit as printed
  double scale = 1;   // ratios are printed as percentages
};

constexpr KeyFigure kKeyFigures[] = {
    {"output_tokens_per_s", "output tokens/s"},
    {"total_tokens_per_s", "total tokens/s"},
    {"request_throughput_per_s", "requests/s"},
    {"ttft_p50_ms", "TTFT p50 (ms)"},
    {"ttft_p99_ms", "TTFT p99 (ms)"},
    {"tpot_p50_ms", "TPOT p50 (ms)"},
    {"tpot_p99_ms", "TPOT p99 (ms)"},
    {"itl_p50_ms", "ITL p50 (ms)"},
    {"e2e_p50_ms", "E2E p50 (ms)"},
    {"e2e_p99_ms", "E2E p99 (ms)"},
    {"mfu", "MFU (%)", 100},
    {"goodput_requests_per_s", "goodput requests/s"},
};

// Four significant digits, without an exponent for the magnitudes these figures have.
std::string Number(double value) {
  if (std::abs(value) >= 1000) return fmt::format("{:.0f}", value);
  return fmt::format("{:.4g}", value);
}

}  // namespace

nlohmann::json RepeatGroupJson(const RepeatGroup& group) {
  nlohmann::json run_ids = nlohmann::json::array();
  for (const RunId run : group.run_ids) run_ids.push_back(run.value);
  nlohmann::json figures = nlohmann::json::object();
  for (const auto& [name, f] : group.figures) {
    figures[name] = {{"unit", f.unit},
                     {"runs", f.runs},
                     {"mean", f.mean},
                     {"stddev", f.stddev},
                     {"cv", f.cv ? nlohmann::json(*f.cv) : nlohmann::json(nullptr)},
                     {"min", f.min},
                     {"max", f.max}};
  }
  nlohmann::json j = {{"id", group.id},
                      {"kind", "repeat"},
                      {"repeat", group.repeat},
                      {"scenario", group.scenario},
                      {"run_ids", std::move(run_ids)},
                      {"figures", std::move(figures)}};
  if (group.interrupted) j["interrupted"] = true;
  if (group.interrupted_run) j["interrupted_run_id"] = group.interrupted_run->value;
  return j;
}

void PrintRepeatSpread(std::ostream& out, const RepeatGroup& group) {
  out << fmt::format("\n== {} repeated — group {} — spread over {} of {} runs{} ==\n",
                     group.scenario, group.id, group.run_ids.size(), group.repeat,
                     group.interrupted ? " (interrupted)" : "");
  if (group.run_ids.empty()) {
    out << "no run completed: no spread\n";
    return;
  }
  if (group.run_ids.size() == 1) out << "one run completed: no spread yet\n";

  TextTable table;
  using Align = TextTable::Align;
  table.AddColumn("FIGURE");
  for (const char* header : {"mean", "stddev", "CV", "min", "max", "runs"}) {
    table.AddColumn(header, Align::kRight);
  }
  for (const KeyFigure& key : kKeyFigures) {
    const auto found = group.figures.find(key.name);
    if (found == group.figures.end()) continue;  // not measured (MFU without a peak, no --slo)
    const harness::FigureSpread& f = found->second;
    table.AddRow({key.shown, Number(key.scale * f.mean), Number(key.scale * f.stddev),
                  f.cv ? fmt::format("{:.2f}%", 100 * *f.cv) : std::string("-"),
                  Number(key.scale * f.min), Number(key.scale * f.max), std::to_string(f.runs)});
  }
  table.Print(out);
  out << "CV = stddev / mean over the runs: how far a figure moves when only the run changes.\n";
}

}  // namespace infermeter::cli
