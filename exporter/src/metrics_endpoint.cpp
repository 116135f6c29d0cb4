#include "infermeter/exporter/metrics_endpoint.h"

#include <charconv>
#include <exception>

#include <fmt/format.h>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include "infermeter/core/error.h"

namespace infermeter::exporter {

std::string MetricsAddress::ToString() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

bool MetricsAddress::IsLoopback() const {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

MetricsAddress ParseMetricsAddress(std::string_view text, std::string_view option) {
  const auto bad = [&](const std::string& why) {
    return InputError({.source = "command line", .field = std::string(option)},
                      fmt::format("'{}': {} (expected HOST:PORT, e.g. 127.0.0.1:9464, or "
                                  "[::1]:9464; port 0 picks a free one)",
                                  text, why));
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) throw bad("no port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    throw bad("an IPv6 host must be in brackets");
  }
  if (host.empty()) throw bad("no host");
  int port = -1;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    throw bad("the port is not a number from 0 to 65535");
  }
  return {.host = std::string(host), .port = port};
}

MetricsEndpoint::MetricsEndpoint(const MetricsAddress& address) : address_(address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address.ToString(), /*num_threads=*/2);
  } catch (const std::exception& e) {
    throw Error(
        fmt::format("cannot serve metrics on {}: {} (is another process using the "
                    "port, or is the host not an address of this machine?)",
                    address.ToString(), e.what()));
  }
  const std::vector<int> ports = exposer_->GetListeningPorts();
  port_ = ports.empty() ? address.port : ports.front();
}

MetricsEndpoint::~MetricsEndpoint() = default;

void MetricsEndpoint::Add(const std::shared_ptr<prometheus::Collectable>& collectable) {
  exposer_->RegisterCollectable(collectable);
}

void MetricsEndpoint::Remove(const std::shared_ptr<prometheus::Collectable>& collectable) {
  exposer_->RemoveCollectable(collectable);
}

std::string MetricsEndpoint::Url() const {
  MetricsAddress bound = address_;
  bound.port = port_;
  return fmt::format("http://{}/metrics", bound.ToString());
}

}  // namespace infermeter::exporter
