#include "exporter_command.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "db_path.h"
#include "infermeter/core/error.h"
#include "infermeter/exporter/metrics_endpoint.h"
#include "infermeter/exporter/stored_runs_collectable.h"
#include "interrupt.h"
#include "metrics_options.h"

namespace infermeter::cli {
namespace {

struct ExporterOptions {
  std::string db_path;
  std::string address{exporter::kDefaultMetricsAddress};
};

int RunExporter(const ExporterOptions& options) {
  // First, so that Ctrl-C or SIGTERM during a long first read still ends with exit 0.
  const std::atomic<bool>& stop = InstallInterruptHandler();
  // Checked when parsed already (a malformed address is a usage error, exit 2).
  const exporter::MetricsAddress address = exporter::ParseMetricsAddress(options.address, "--addr");
  if (!std::filesystem::exists(options.db_path)) {
    throw InputError({.source = options.db_path, .field = "--db"},
                     "no such results file (runs are recorded with `infermeter run --db FILE`; "
                     "$INFERMETER_DB is used when --db is not given)");
  }
  // Reads it once before serving: a file that is not an infermeter results file, or one at
  // another schema version, is refused here, naming the file.
  const auto runs = std::make_shared<exporter::StoredRunsCollectable>(options.db_path);

  // Serving is this command's whole job: an address that cannot be bound is an error.
  const std::unique_ptr<exporter::MetricsEndpoint> endpoint = ServeMetricsOn(address);
  endpoint->Add(runs);

  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  endpoint->Remove(runs);
  fmt::print(stderr, "infermeter exporter: stopped\n");
  return 0;
}

}  // namespace

void AddExporterCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<ExporterOptions>();
  auto* command = app.add_subcommand(
      "exporter",
      "Serve the summary figures of every finished run in a results file for Prometheus, so "
      "Grafana shows history and compares runs across hardware after they ended "
      "(docs/PROMETHEUS.md)");
  AddDbOption(*command, &options->db_path);
  command
      ->add_option("--addr,--metrics-addr", options->address,
                   "serve /metrics on HOST:PORT (port 0: a free one, shown on stderr; a "
                   "non-loopback host makes the figures readable by anyone who reaches it)")
      ->capture_default_str()
      ->check(
          [](const std::string& text) -> std::string {
            try {
              exporter::ParseMetricsAddress(text, "--addr");
              return {};
            } catch (const InputError& e) {
              return e.problem();
            }
          },
          "HOST:PORT");
  command->callback([options, action] { *action = [options] { return RunExporter(*options); }; });
}

}  // namespace infermeter::cli
