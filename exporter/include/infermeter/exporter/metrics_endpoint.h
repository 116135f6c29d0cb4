#pragma once
// The HTTP endpoint Prometheus scrapes: prometheus-cpp's Exposer on HOST:PORT serving /metrics.
// Collectables (a live run's registry, the stored-runs reader, the serving engine's stats) are
// added to one endpoint; it serves until destroyed.

#include <memory>
#include <string>
#include <string_view>

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace infermeter::exporter {

// Where to serve. `--metrics-addr HOST:PORT`; port 0 picks a free one.
struct MetricsAddress {
  std::string host = "127.0.0.1";
  int port = 9464;
  std::string ToString() const;  // "127.0.0.1:9464", "[::1]:9464"
  bool IsLoopback() const;       // 127.0.0.0/8, ::1, localhost
};

inline constexpr std::string_view kDefaultMetricsAddress = "127.0.0.1:9464";

// Parses "HOST:PORT" ("[::1]:9464" for IPv6). Throws InputError naming `option` and what was
// expected.
MetricsAddress ParseMetricsAddress(std::string_view text, std::string_view option);

class MetricsEndpoint {
 public:
  // Binds and starts serving. Throws Error naming the address when it cannot bind (in use, not
  // an address of this host, no permission).
  explicit MetricsEndpoint(const MetricsAddress& address);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // Serves `collectable` from now on; the endpoint keeps a weak reference only, so the owner
  // decides its lifetime.
  void Add(const std::shared_ptr<prometheus::Collectable>& collectable);
  void Remove(const std::shared_ptr<prometheus::Collectable>& collectable);

  int port() const { return port_; }
  // "http://127.0.0.1:9464/metrics", with the port actually bound.
  std::string Url() const;

 private:
  MetricsAddress address_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace infermeter::exporter
