#pragma once
// An inference server's own view of a run: a background thread scrapes its Prometheus
// `GET /metrics` (and, for llama.cpp, `GET /slots`) every interval, maps the body to normalized
// figures (server_metrics.h) and queues the rows; Sample only moves the queued rows out, so the
// sampling thread never waits on the network. Rows are stamped with the time of their scrape (the
// midpoint of its GET), not of Sample.
//
// Samples (source "server_metrics", labels {}): the rows of ServerSampleRecords
// (server_kv_usage_ratio, server_kv_used_tokens, server_kv_capacity_tokens,
// server_running_requests, server_waiting_requests, server_preemptions_total,
// server_prefix_cache_hits_total, server_prefix_cache_queries_total, server_prompt_tokens_total,
// server_generation_tokens_total; `raw:<name>` for an unknown server), plus server_kv_used_bytes
// and server_kv_capacity_bytes when the KV bytes per token are given and the server states tokens.
// Run metrics: see docs/COLLECTORS.md ("Inference-server metrics during a run"): peaks and means
// of the gauges, and counters' increase from Start's scrape to Stop's (a counter that goes down
// means the server restarted; its new value counts as the increase since, as Prometheus'
// increase() does).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infermeter/collectors/server_metrics.h"
#include "infermeter/harness/collector.h"

namespace infermeter::collectors {

struct ServerMetricsCollectorOptions {
  std::string metrics_url;  // "http://10.0.0.5:8000/metrics"
  // llama.cpp's "http://host:8080/slots", read only when the server is llama.cpp (detected or
  // expected); "" = never read.
  std::string slots_url;
  std::int64_t interval_ms = 1000;
  std::int64_t timeout_ms = 5000;  // one scrape mid-run; a slower one delays the next
  std::int64_t connect_timeout_ms = 1000;
  // Start's scrape and Stop's: short, so a server that is not there costs the run little.
  std::int64_t start_timeout_ms = 2000;
  // KV-cache bytes per token of the served model (the cost model's), to state bytes; without it
  // the figures stay in tokens and ratios.
  std::optional<double> kv_bytes_per_token;
  // "vllm", "sglang", "tgi", "triton", "trtllm-serve", "llama.cpp", "mindie": map with this
  // server's names whatever the scrape looks like; empty = detect from the names.
  std::optional<std::string> expected_server;
  // Scrape once more in Stop, so counters' increase covers the run's tail.
  bool scrape_at_stop = true;
  std::size_t max_raw_series = 256;  // per scrape, unknown servers (ServerSampleOptions)
};

// The server named `name` as ToString(ServerKind) writes it, or nullopt.
std::optional<ServerKind> ServerKindFromString(std::string_view name);

struct ServerScrapeCounts {
  std::int64_t ok = 0;
  std::int64_t failed = 0;
};

class ServerMetricsCollector final : public harness::Collector {
 public:
  // Throws InputError when metrics_url is empty, an interval or timeout is not positive, or
  // expected_server is not a server name above.
  explicit ServerMetricsCollector(ServerMetricsCollectorOptions options);
  ~ServerMetricsCollector() override;
  ServerMetricsCollector(const ServerMetricsCollector&) = delete;
  ServerMetricsCollector& operator=(const ServerMetricsCollector&) = delete;

  std::string_view Name() const override { return "server_metrics"; }
  // Scrapes once (start_timeout_ms); throws Error("cannot scrape <url>: connection refused"),
  // or with the parser's message naming the URL and line, when that fails. Then starts the
  // background thread.
  void Start(const harness::CollectorContext& context) override;
  // Moves the rows of the scrapes finished since the last call into `out`. Never blocks on the
  // network, never throws.
  void Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) override;
  // Stops the thread (a scrape in flight is cut off), scrapes once more (scrape_at_stop), and
  // hands over what is left. Takes up to start_timeout_ms when the server hangs.
  void Stop(std::int64_t now_ns, std::vector<results::SampleRecord>& out) override;
  void Summarize(const harness::CollectorSummaryInput& input,
                 std::vector<results::RunMetric>& metrics,
                 std::vector<results::SampleRecord>& samples) override;
  // metrics_url, slots_url, server (detected), mapping, mapping_record (each figure's source
  // series), interval_ms, scrapes_ok, scrapes_failed, last_error, scrape_median_ms,
  // kv_bytes_source, and counter_resets, slots_failed, raw_series_dropped when they happened.
  std::vector<std::pair<std::string, std::string>> Facts() const override;

  // Scrapes so far in this run, Start's included.
  ServerScrapeCounts Counts() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace infermeter::collectors
