#pragma once
// `--metrics-addr`, `--no-metrics` and `--metrics-linger-s`: where `infermeter run` and
// `infermeter serve` serve their live metrics for Prometheus (docs/PROMETHEUS.md), and opening
// that endpoint with the rules the user expects: loopback unless asked, an error when an address
// that was asked for cannot be bound, a note (and no metrics) when only the default was taken.

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "infermeter/exporter/metrics_endpoint.h"

namespace infermeter::cli {

struct MetricsOptions {
  std::string address{exporter::kDefaultMetricsAddress};
  bool off = false;                             // --no-metrics
  double linger_s = 0;                          // --metrics-linger-s (run only)
  const CLI::Option* address_option = nullptr;  // set by AddMetricsOptions
  bool address_given() const { return address_option && address_option->count() > 0; }
};

// Adds the options to `command`, in an option group of their own. `with_linger` for `run`.
void AddMetricsOptions(CLI::App& command, MetricsOptions& options, bool with_linger);

// Checks the options without binding anything (called before a run starts, with the other
// option checks). Throws InputError for a malformed address.
void CheckMetricsOptions(const MetricsOptions& options);

// Opens the endpoint, or nothing with --no-metrics. Prints where it serves ("infermeter:
// serving metrics at http://127.0.0.1:9464/metrics") on stderr, and a warning for a non-loopback
// address. An address given with --metrics-addr that cannot be bound throws Error; when the
// default address cannot be bound the command goes on without metrics and says so.
std::unique_ptr<exporter::MetricsEndpoint> OpenMetricsEndpoint(const MetricsOptions& options);

// Binds `address` and says so as above; throws Error when it cannot bind.
std::unique_ptr<exporter::MetricsEndpoint> ServeMetricsOn(const exporter::MetricsAddress& address);

}  // namespace infermeter::cli
