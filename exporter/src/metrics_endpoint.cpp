#include "infermeter/exporter/metrics_endpoint.h"

#include <charconv>
#include <exception>
#include <string>
#include <string_view>

#include <CivetServer.h>
#include <civetweb.h>
#include <fmt/format.h>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include "infermeter/core/error.h"

namespace infermeter::exporter {
namespace {

// civetweb 1.15 (Debian 12's, under prometheus-cpp's Exposer) crashes while it writes its own
// error pages, so a request it would answer with an error (a browser asking for /, a POST, a
// scanner) would kill the process and the run with it. Every request that is not GET /metrics is
// answered here, before civetweb looks at it, and civetweb's error pages are never written.
void Answer(mg_connection* connection, int status, std::string_view allow = {}) {
  const char* reason = mg_get_response_code_text(connection, status);
  const std::string body = fmt::format("{} {}: infermeter serves GET /metrics\n", status, reason);
  const std::string head = fmt::format(
      "HTTP/1.1 {} {}\r\n{}Content-Type: text/plain; charset=utf-8\r\nContent-Length: "
      "{}\r\nConnection: close\r\n\r\n",
      status, reason, allow.empty() ? std::string() : fmt::format("Allow: {}\r\n", allow),
      body.size());
  mg_write(connection, head.data(), head.size());
  mg_write(connection, body.data(), body.size());
}

int BeginRequest(mg_connection* connection) {
  const mg_request_info* request = mg_get_request_info(connection);
  const std::string_view uri = request->local_uri ? request->local_uri : "";
  if (uri != "/metrics") {
    Answer(connection, 404);
    return 404;
  }
  const std::string_view method = request->request_method ? request->request_method : "";
  if (method != "GET") {  // prometheus-cpp's handler has GET only (HEAD included)
    Answer(connection, 405, "GET");
    return 405;
  }
  return 0;  // prometheus-cpp's handler answers
}

// Whatever error civetweb still meets (a request it cannot parse) is answered here too.
int AnswerHttpError(mg_connection* connection, int status, const char* /*message*/) {
  Answer(connection, status);
  return 0;
}

const CivetCallbacks& Callbacks() {
  static const CivetCallbacks callbacks = [] {
    CivetCallbacks c;
    c.begin_request = BeginRequest;
    c.http_error = AnswerHttpError;
    return c;
  }();
  return callbacks;
}

}  // namespace

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
    exposer_ =
        std::make_unique<prometheus::Exposer>(address.ToString(), /*num_threads=*/2, &Callbacks());
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
