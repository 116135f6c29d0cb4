#include "metrics_options.h"

#include <cstdio>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::cli {
void AddMetricsOptions(CLI::App& command, MetricsOptions& options, bool with_linger) {
  const std::string group = "Live metrics for Prometheus (docs/PROMETHEUS.md)";
  options.address_option =
      command
          .add_option("--metrics-addr", options.address,
                      "serve /metrics for Prometheus on HOST:PORT (port 0: a free one; a "
                      "non-loopback host must be given here to be used)")
          ->capture_default_str()
          ->group(group);
  command.add_flag("--no-metrics", options.off, "do not serve live metrics")->group(group);
  if (with_linger) {
    command
        .add_option("--metrics-linger-s", options.linger_s,
                    "keep serving metrics this many seconds after the last run ended, so a "
                    "scraper sees the final values")
        ->check(CLI::NonNegativeNumber)
        ->group(group);
  }
}

void CheckMetricsOptions(const MetricsOptions& options) {
  if (options.off && options.address_given()) {
    throw InputError({.source = "command line", .field = "--no-metrics"},
                     "cannot be combined with --metrics-addr");
  }
  if (!options.off) exporter::ParseMetricsAddress(options.address, "--metrics-addr");
}

std::unique_ptr<exporter::MetricsEndpoint> ServeMetricsOn(const exporter::MetricsAddress& address) {
  auto endpoint = std::make_unique<exporter::MetricsEndpoint>(address);
  if (!address.IsLoopback()) {
    fmt::print(stderr,
               "warning: serving metrics on {}, not a loopback address: anyone who can reach "
               "the port can read them (run, model, host names and labels included)\n",
               endpoint->Url());
  }
  // Exactly one such line: scripts and tests read the bound port from it.
  fmt::print(stderr, "infermeter: serving metrics at {}\n", endpoint->Url());
  std::fflush(stderr);
  return endpoint;
}

std::unique_ptr<exporter::MetricsEndpoint> OpenMetricsEndpoint(const MetricsOptions& options) {
  if (options.off) return nullptr;
  const exporter::MetricsAddress address =
      exporter::ParseMetricsAddress(options.address, "--metrics-addr");
  try {
    return ServeMetricsOn(address);
  } catch (const Error& e) {
    if (options.address_given()) {
      throw Error(
          fmt::format("{}; pick another with --metrics-addr HOST:PORT, or --no-metrics", e.what()));
    }
    // Only the default was taken (another infermeter on this host): measuring matters more.
    fmt::print(stderr, "note: live metrics are off for this command: {}\n", e.what());
    return nullptr;
  }
}

}  // namespace infermeter::cli
