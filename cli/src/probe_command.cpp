#include "probe_command.h"

#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "db_path.h"
#include "infermeter/probe/probe.h"
#include "infermeter/results/store.h"
#include "table.h"

namespace infermeter::cli {
namespace {

struct ProbeCommandOptions {
  std::string db_path;
  bool quick = false;
  bool json = false;
};

// The value in the unit people read these figures in: GFLOP/s and GB/s (10^9, as STREAM does).
std::string HumanValue(const results::HardwarePeak& peak) {
  if (peak.metric == "gemm_flops_per_s") return fmt::format("{:.1f} GFLOP/s", peak.value / 1e9);
  return fmt::format("{:.2f} GB/s", peak.value / 1e9);
}

nlohmann::json ToJson(const results::HardwarePeak& peak) {
  auto details = nlohmann::json::parse(peak.details_json, nullptr, /*allow_exceptions=*/false);
  return {{"id", peak.id},
          {"metric", peak.metric},
          {"dtype", peak.dtype},
          {"value", peak.value},
          {"method", peak.method},
          {"details", details.is_discarded() ? nlohmann::json(peak.details_json) : details}};
}

int Run(const ProbeCommandOptions& options) {
  // Open the store first: a bad --db should fail before half a minute of measuring.
  auto store = results::ResultsStore::OpenForWriting(options.db_path);
  if (!options.json) {
    std::cerr << (options.quick ? "Probing (quick: small sizes, 1 repetition)...\n"
                                : "Probing GEMM and memory bandwidth on all cores (~30 s)...\n");
  }
  probe::ProbeResult measured = probe::MeasureHostPeaks({.quick = options.quick});
  for (auto& peak : measured.peaks) peak.id = store.RecordHardwarePeak(peak);

  if (options.json) {
    const auto& first = measured.peaks.front();
    nlohmann::json report = {{"db", options.db_path},
                             {"host", first.host},
                             {"cpu_model", first.cpu_model},
                             {"logical_cores", first.logical_cores},
                             {"measured_unix_ns", first.measured_unix_ns},
                             {"quick", options.quick},
                             {"peaks", nlohmann::json::array()},
                             {"unavailable", nlohmann::json::array()}};
    for (const auto& peak : measured.peaks) report["peaks"].push_back(ToJson(peak));
    for (const auto& missing : measured.unavailable) {
      report["unavailable"].push_back(
          {{"metric", missing.metric}, {"dtype", missing.dtype}, {"reason", missing.reason}});
    }
    std::cout << report.dump(2) << '\n';
    return 0;
  }

  const auto& first = measured.peaks.front();
  std::cout << fmt::format("{} ({}, {} logical cores)\n", first.host, first.cpu_model,
                           first.logical_cores);
  TextTable table;
  using Align = TextTable::Align;
  table.AddColumn("METRIC");
  table.AddColumn("DTYPE");
  table.AddColumn("VALUE", Align::kRight);
  table.AddColumn("METHOD");
  for (const auto& peak : measured.peaks) {
    table.AddRow({peak.metric, peak.dtype, HumanValue(peak), peak.method});
  }
  for (const auto& missing : measured.unavailable) {
    table.AddRow({missing.metric, missing.dtype, "unavailable", missing.reason});
  }
  table.Print(std::cout);
  std::cout << fmt::format("Stored {} peak(s) in '{}' (table hardware_peaks).\n",
                           measured.peaks.size(), options.db_path);
  return 0;
}

}  // namespace

void AddProbeCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<ProbeCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "probe", "Measure this host's peak GEMM FLOP/s (FP32, BF16) and memory bandwidth");
  AddDbOption(*command, &options->db_path);
  command->add_flag("--quick", options->quick,
                    "Small sizes and one repetition (seconds; for tests, not for real figures)");
  command->add_flag("--json", options->json, "Print the measured peaks as JSON");
  command->callback([options, action] { *action = [options] { return Run(*options); }; });
}

}  // namespace infermeter::cli
