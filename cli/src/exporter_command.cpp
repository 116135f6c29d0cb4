#include "exporter_command.h"

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "db_path.h"
#include "infermeter/core/error.h"
#include "infermeter/exporter/stored_runs_collectable.h"
#include "interrupt.h"
#include "metrics_options.h"

namespace infermeter::cli {
namespace {

struct ExporterOptions {
  std::string db_path;
  MetricsOptions metrics;
};

int RunExporter(const ExporterOptions& options) {
  if (!std::filesystem::exists(options.db_path)) {
    throw InputError({.source = options.db_path, .field = "--db"},
                     "no such results file (make one with `infermeter run --db FILE`)");
  }
  // Opening reads it once: a file that is not an infermeter results file fails here.
  const auto runs = std::make_shared<exporter::StoredRunsCollectable>(options.db_path);
  const std::atomic<bool>& stop = InstallInterruptHandler();
  // Serving is this command's whole job: an address that is taken is an error, default or not.
  const std::unique_ptr<exporter::MetricsEndpoint> endpoint =
      ServeMetricsOn(exporter::ParseMetricsAddress(options.metrics.address, "--addr"));
  endpoint->Add(runs);
  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  endpoint->Remove(runs);
  return 0;
}

}  // namespace

void AddExporterCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<ExporterOptions>();
  auto* command = app.add_subcommand(
      "exporter",
      "Serve the summary figures of every finished run in a results file for Prometheus, so "
      "Grafana can compare stored runs (docs/PROMETHEUS.md)");
  AddDbOption(*command, &options->db_path);
  options->metrics.address_option =
      command
          ->add_option("--addr,--metrics-addr", options->metrics.address,
                       "serve /metrics on HOST:PORT (port 0: a free one)")
          ->capture_default_str();
  command->callback([options, action] { *action = [options] { return RunExporter(*options); }; });
}

}  // namespace infermeter::cli
