#include "infermeter/collectors/server_metrics_collector.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <iterator>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "http_get.h"
#include "infermeter/collectors/prometheus_text.h"
#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "llama_slots.h"
#include "scrape_counter.h"

namespace infermeter::collectors {
namespace {

constexpr std::string_view kSource = "server_metrics";
// Rows waiting for Sample beyond this are dropped (and counted): the sampling thread stopped
// calling, and the queue must not grow without bound meanwhile.
constexpr std::size_t kMaxPendingRows = 200'000;
// Successful scrapes' durations kept for the median; more than a day at 1 Hz.
constexpr std::size_t kMaxDurations = 100'000;

// The gauges of one successful scrape, for the run's summary.
struct Reading {
  std::int64_t time_ns = 0;
  std::optional<double> kv_ratio;
  std::optional<double> kv_used_tokens;
  std::optional<double> kv_capacity_tokens;
  std::optional<double> running;
  std::optional<double> waiting;
};

std::optional<double> ValueOf(const std::optional<ServerFigure>& figure) {
  if (!figure) return std::nullopt;
  return figure->value;
}

// The counters whose increase over the run is a summary figure.
struct CounterField {
  std::optional<ServerFigure> ServerMetrics::*member;
  std::string_view field;
};
constexpr std::array kCounters{
    CounterField{&ServerMetrics::preemptions_total, "preemptions_total"},
    CounterField{&ServerMetrics::prefix_cache_hits_total, "prefix_cache_hits_total"},
    CounterField{&ServerMetrics::prefix_cache_queries_total, "prefix_cache_queries_total"},
    CounterField{&ServerMetrics::prompt_tokens_total, "prompt_tokens_total"},
    CounterField{&ServerMetrics::generation_tokens_total, "generation_tokens_total"},
};
enum CounterIndex { kPreemptions, kPrefixHits, kPrefixQueries, kPromptTokens, kGenerationTokens };

// What one scrape gave, built on the scraping thread without the lock.
struct ScrapeResult {
  bool ok = false;
  std::string error;
  std::int64_t time_ns = 0;
  std::int64_t duration_ns = 0;
  ServerKind detected = ServerKind::kUnknown;
  ServerMetrics metrics;
  std::vector<results::SampleRecord> rows;
  std::size_t raw_series_dropped = 0;
  std::string slots_error;  // /slots failed while /metrics worked
};

void CheckPositive(std::int64_t value, const char* field) {
  if (value <= 0) {
    throw InputError({.source = "server metrics options", .field = field},
                     fmt::format("expected a positive number of milliseconds, got {}", value));
  }
}

}  // namespace

std::optional<ServerKind> ServerKindFromString(std::string_view name) {
  for (const ServerKind kind : {ServerKind::kUnknown, ServerKind::kVllm, ServerKind::kSglang,
                                ServerKind::kTgi, ServerKind::kTriton, ServerKind::kTrtllmServe,
                                ServerKind::kLlamaCpp, ServerKind::kMindIe}) {
    if (ToString(kind) == name) return kind;
  }
  return std::nullopt;
}

struct ServerMetricsCollector::State {
  ServerMetricsCollectorOptions options;
  std::optional<ServerKind> expected;
  harness::CollectorContext context;
  HttpGetter getter;  // used by one thread at a time: Start/Stop, or the scraping thread

  std::atomic<bool> stopping{false};
  std::thread scraper;

  // Shared with the scraping thread.
  mutable std::mutex mutex;
  std::condition_variable wake;
  std::vector<results::SampleRecord> pending;
  std::int64_t scrapes_ok = 0;
  std::int64_t scrapes_failed = 0;
  std::string last_error;
  std::int64_t slots_failed = 0;
  std::string slots_last_error;
  std::vector<std::int64_t> durations_ns;
  std::vector<Reading> readings;
  std::array<CounterIncrease, kCounters.size()> counters;
  std::vector<std::string> resets;  // "preemptions_total: 7 -> 1 at 12.3 s"
  std::optional<ServerKind> detected;
  std::vector<std::string> server_changes;
  std::optional<ServerMetrics> latest;  // the newest successful mapping, for Facts
  std::size_t raw_series_dropped = 0;
  std::size_t rows_dropped = 0;

  void Reset() {
    std::lock_guard lock(mutex);
    pending.clear();
    scrapes_ok = scrapes_failed = slots_failed = 0;
    last_error.clear();
    slots_last_error.clear();
    durations_ns.clear();
    readings.clear();
    counters = {};
    resets.clear();
    detected.reset();
    server_changes.clear();
    latest.reset();
    raw_series_dropped = rows_dropped = 0;
  }

  // One scrape, network and parsing included; no lock held.
  ScrapeResult Fetch(std::int64_t timeout_ms, const std::atomic<bool>* cancel) {
    ScrapeResult r;
    const std::int64_t begin_ns = MonotonicNs();
    const HttpGetOptions http{
        .connect_timeout_ms = std::min(options.connect_timeout_ms, timeout_ms),
        .timeout_ms = timeout_ms,
        .cancel = cancel};
    HttpGetResult got = getter.Get(options.metrics_url, http);
    if (got.cancelled) {
      r.error = "cancelled";
      return r;
    }
    if (!got.ok) {
      r.error = fmt::format("cannot scrape {}: {}", options.metrics_url, got.error);
      return r;
    }
    // The server's state is read somewhere inside the GET: its midpoint is the best guess.
    r.time_ns = begin_ns + got.duration_ns / 2;
    PromScrape scrape;
    try {
      scrape = ParsePrometheusText(got.body, options.metrics_url);
    } catch (const Error& e) {
      r.error = fmt::format("malformed metrics text: {}", e.what());  // names the URL and line
      return r;
    }
    r.detected = DetectServer(scrape);
    r.metrics = NormalizeServerMetrics(scrape, expected.value_or(r.detected));
    // /slots is llama.cpp's alone: the CLI may pass it for any server, and others would 404.
    if (!options.slots_url.empty() && r.metrics.server == ServerKind::kLlamaCpp) {
      HttpGetResult slots = getter.Get(options.slots_url, http);
      if (slots.cancelled) {
        r.error = "cancelled";
        return r;
      }
      try {
        if (!slots.ok) throw Error(slots.error);
        AddLlamaSlots(ParseLlamaSlots(slots.body, options.slots_url), r.metrics);
      } catch (const Error& e) {
        r.slots_error = fmt::format("cannot read {}: {}", options.slots_url, e.what());
      }
    }
    ServerSamples samples = ServerSampleRecords(scrape, r.metrics, context.run, r.time_ns,
                                                {.max_raw_series = options.max_raw_series});
    r.rows = std::move(samples.rows);
    r.raw_series_dropped = samples.raw_series_dropped;
    if (options.kv_bytes_per_token) {
      const double per_token = *options.kv_bytes_per_token;
      const auto bytes = [&](const std::optional<ServerFigure>& tokens, const char* metric) {
        if (!tokens) return;
        r.rows.push_back({.run_id = context.run,
                          .time_ns = r.time_ns,
                          .metric = metric,
                          .labels_json = "{}",
                          .value = tokens->value * per_token});
      };
      bytes(r.metrics.kv_used_tokens, "server_kv_used_bytes");
      bytes(r.metrics.kv_capacity_tokens, "server_kv_capacity_bytes");
    }
    // Name() is the source of every row this collector stores.
    for (results::SampleRecord& row : r.rows) row.source = kSource;
    r.ok = true;
    r.duration_ns = MonotonicNs() - begin_ns;
    return r;
  }

  // Books a scrape's outcome; returns its error ("" when it worked).
  std::string Record(ScrapeResult r) {
    std::lock_guard lock(mutex);
    if (!r.ok) {
      ++scrapes_failed;
      last_error = r.error;
      return std::move(r.error);
    }
    ++scrapes_ok;
    if (durations_ns.size() < kMaxDurations) durations_ns.push_back(r.duration_ns);
    if (!r.slots_error.empty()) {
      ++slots_failed;
      slots_last_error = std::move(r.slots_error);
    }
    if (detected && *detected != r.detected) {
      server_changes.push_back(
          fmt::format("{} -> {} at {:.1f} s", ToString(*detected), ToString(r.detected),
                      static_cast<double>(r.time_ns - context.start_ns) * 1e-9));
    }
    detected = r.detected;
    readings.push_back({.time_ns = r.time_ns,
                        .kv_ratio = ValueOf(r.metrics.kv_usage_ratio),
                        .kv_used_tokens = ValueOf(r.metrics.kv_used_tokens),
                        .kv_capacity_tokens = ValueOf(r.metrics.kv_capacity_tokens),
                        .running = ValueOf(r.metrics.running_requests),
                        .waiting = ValueOf(r.metrics.waiting_requests)});
    for (std::size_t i = 0; i < kCounters.size(); ++i) {
      const std::optional<ServerFigure>& figure = r.metrics.*(kCounters[i].member);
      if (!figure) continue;
      const std::optional<double> before = counters[i].last();
      if (counters[i].Add(figure->value)) {
        resets.push_back(fmt::format("{}: {} -> {} at {:.1f} s (server restarted?)",
                                     kCounters[i].field, before.value_or(0), figure->value,
                                     static_cast<double>(r.time_ns - context.start_ns) * 1e-9));
      }
    }
    raw_series_dropped += r.raw_series_dropped;
    if (pending.size() + r.rows.size() <= kMaxPendingRows) {
      pending.insert(pending.end(), std::make_move_iterator(r.rows.begin()),
                     std::make_move_iterator(r.rows.end()));
    } else {
      rows_dropped += r.rows.size();
    }
    latest = std::move(r.metrics);
    return {};
  }

  void Loop() {
    const std::int64_t interval_ns = options.interval_ms * 1'000'000;
    std::int64_t next_ns = MonotonicNs() + interval_ns;  // Start scraped just now
    while (!stopping) {
      {
        std::unique_lock lock(mutex);
        wake.wait_until(lock, MonotonicClock::time_point(std::chrono::nanoseconds(next_ns)),
                        [this] { return stopping.load(); });
      }
      if (stopping) break;
      // Scheduled from the previous start, so scrapes keep their pace when one is slow; one that
      // overran its slot is followed at once, not by a burst.
      next_ns = std::max(next_ns + interval_ns, MonotonicNs());
      try {
        ScrapeResult r = Fetch(options.timeout_ms, &stopping);
        if (r.error == "cancelled" && stopping) break;  // cut short by Stop: no failure
        Record(std::move(r));
      } catch (const std::exception& e) {  // out of memory: count it, keep going
        try {
          Record({.error = e.what()});
        } catch (...) {
        }
      }
    }
  }

  void StopScraper() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    if (scraper.joinable()) scraper.join();
  }

  void Drain(std::vector<results::SampleRecord>& out) noexcept {
    try {
      std::lock_guard lock(mutex);
      if (pending.empty()) return;
      out.insert(out.end(), std::make_move_iterator(pending.begin()),
                 std::make_move_iterator(pending.end()));
      pending.clear();  // keeps its capacity for the next scrapes
    } catch (...) {
      // Sample must not throw; rows lost to memory exhaustion are the least of that run's
      // problems.
    }
  }
};

ServerMetricsCollector::ServerMetricsCollector(ServerMetricsCollectorOptions options)
    : state_(std::make_unique<State>()) {
  if (options.metrics_url.empty()) {
    throw InputError({.source = "server metrics options", .field = "metrics_url"},
                     "empty: expected the server's metrics URL (http://host:port/metrics)");
  }
  CheckPositive(options.interval_ms, "interval_ms");
  CheckPositive(options.timeout_ms, "timeout_ms");
  CheckPositive(options.connect_timeout_ms, "connect_timeout_ms");
  CheckPositive(options.start_timeout_ms, "start_timeout_ms");
  if (options.expected_server && !options.expected_server->empty()) {
    state_->expected = ServerKindFromString(*options.expected_server);
    if (!state_->expected) {
      throw InputError({.source = "server metrics options", .field = "expected_server"},
                       fmt::format("unknown server '{}'; expected vllm, sglang, tgi, triton, "
                                   "trtllm-serve, llama.cpp, mindie or unknown",
                                   *options.expected_server));
    }
  }
  state_->options = std::move(options);
}

ServerMetricsCollector::~ServerMetricsCollector() { state_->StopScraper(); }

void ServerMetricsCollector::Start(const harness::CollectorContext& context) {
  State& s = *state_;
  s.StopScraper();
  s.Reset();
  s.context = context;
  s.stopping = false;
  const std::string error = s.Record(s.Fetch(s.options.start_timeout_ms, nullptr));
  if (!error.empty()) throw Error(error);
  s.scraper = std::thread([&s] { s.Loop(); });
}

void ServerMetricsCollector::Sample(std::int64_t /*now_ns*/,
                                    std::vector<results::SampleRecord>& out) {
  state_->Drain(out);
}

void ServerMetricsCollector::Stop(std::int64_t /*now_ns*/,
                                  std::vector<results::SampleRecord>& out) {
  State& s = *state_;
  const bool running = s.scraper.joinable();
  s.StopScraper();
  if (running && s.options.scrape_at_stop) {
    try {
      s.Record(s.Fetch(s.options.start_timeout_ms, nullptr));
    } catch (const std::exception&) {  // out of memory: the run ends without its last scrape
    }
  }
  s.Drain(out);
}

void ServerMetricsCollector::Summarize(const harness::CollectorSummaryInput& input,
                                       std::vector<results::RunMetric>& metrics,
                                       std::vector<results::SampleRecord>& /*samples*/) {
  const State& s = *state_;
  std::lock_guard lock(s.mutex);
  const auto add = [&](const char* name, double value, const char* unit) {
    metrics.push_back({.run_id = input.run, .name = name, .value = value, .unit = unit});
  };
  // Gauges over the run's window; Start's and Stop's scrapes fall outside it when the server
  // idled then. A run too short to hold a scrape uses them all.
  std::vector<const Reading*> window;
  for (const Reading& r : s.readings) {
    if (r.time_ns >= input.start_ns && r.time_ns <= input.end_ns) window.push_back(&r);
  }
  if (window.empty()) {
    for (const Reading& r : s.readings) window.push_back(&r);
  }
  struct Stat {
    std::optional<double> peak;
    double sum = 0;
    std::int64_t n = 0;
    void Add(const std::optional<double>& v) {
      if (!v) return;
      peak = peak ? std::max(*peak, *v) : *v;
      sum += *v;
      ++n;
    }
  };
  Stat ratio, used, capacity, running, waiting;
  for (const Reading* r : window) {
    ratio.Add(r->kv_ratio);
    used.Add(r->kv_used_tokens);
    capacity.Add(r->kv_capacity_tokens);
    running.Add(r->running);
    waiting.Add(r->waiting);
  }
  if (ratio.peak) {
    add("server_kv_usage_peak_ratio", *ratio.peak, "");
    add("server_kv_usage_mean_ratio", ratio.sum / static_cast<double>(ratio.n), "");
  }
  if (used.peak) add("server_kv_used_tokens_peak", *used.peak, "tokens");
  if (capacity.peak) add("server_kv_capacity_tokens", *capacity.peak, "tokens");
  if (const auto& per_token = s.options.kv_bytes_per_token) {
    if (used.peak) add("server_kv_bytes_peak", *used.peak * *per_token, "bytes");
    if (capacity.peak) add("server_kv_bytes_capacity", *capacity.peak * *per_token, "bytes");
  }
  if (running.peak) add("server_running_requests_peak", *running.peak, "requests");
  if (waiting.peak) add("server_waiting_requests_peak", *waiting.peak, "requests");

  const auto increase = [&](CounterIndex i) { return s.counters[i].increase(); };
  if (const auto v = increase(kPreemptions)) add("server_preemptions", *v, "preemptions");
  const auto hits = increase(kPrefixHits);
  const auto queries = increase(kPrefixQueries);
  if (hits) add("server_prefix_cache_hits", *hits, "tokens");
  if (queries) add("server_prefix_cache_queries", *queries, "tokens");
  if (hits && queries && *queries > 0) {
    add("server_prefix_cache_hit_ratio", *hits / *queries, "");
  }
  if (const auto v = increase(kPromptTokens)) add("server_prompt_tokens", *v, "tokens");
  if (const auto v = increase(kGenerationTokens)) add("server_generation_tokens", *v, "tokens");
}

std::vector<std::pair<std::string, std::string>> ServerMetricsCollector::Facts() const {
  const State& s = *state_;
  std::lock_guard lock(s.mutex);
  std::vector<std::pair<std::string, std::string>> facts;
  facts.emplace_back("metrics_url", s.options.metrics_url);
  if (!s.options.slots_url.empty()) facts.emplace_back("slots_url", s.options.slots_url);
  if (s.detected) facts.emplace_back("server", std::string(ToString(*s.detected)));
  if (s.latest) {
    std::string mapping = s.latest->mapping;
    if (s.expected) {
      mapping += s.detected && *s.detected != *s.expected
                     ? fmt::format(" (as asked; the scrape looks like {})", ToString(*s.detected))
                     : std::string(" (as asked)");
    } else if (s.latest->server == ServerKind::kUnknown) {
      mapping += ": no mapping; every gauge and counter stored verbatim as raw:<name>";
    }
    facts.emplace_back("mapping", std::move(mapping));
    facts.emplace_back("mapping_record", ServerMetricsRecordJson(*s.latest));
  }
  if (!s.server_changes.empty()) {
    facts.emplace_back("server_changes", fmt::format("{}", fmt::join(s.server_changes, "; ")));
  }
  facts.emplace_back(
      "interval_ms",
      fmt::format("{} (a background thread; each row is stamped with the midpoint of its GET)",
                  s.options.interval_ms));
  facts.emplace_back("scrapes_ok", std::to_string(s.scrapes_ok));
  facts.emplace_back("scrapes_failed", std::to_string(s.scrapes_failed));
  if (!s.last_error.empty()) facts.emplace_back("last_error", s.last_error);
  if (!s.durations_ns.empty()) {
    std::vector<std::int64_t> sorted = s.durations_ns;
    const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
    std::nth_element(sorted.begin(), middle, sorted.end());
    facts.emplace_back("scrape_median_ms",
                       fmt::format("{:.1f}", static_cast<double>(*middle) * 1e-6));
  }
  std::string kv_bytes;
  if (!s.options.kv_bytes_per_token) {
    kv_bytes = "none: no KV bytes per token given; ratios and tokens only";
  } else if (!s.latest || (!s.latest->kv_used_tokens && !s.latest->kv_capacity_tokens)) {
    kv_bytes = "none: the server states no KV tokens (ratio only)";
  } else {
    kv_bytes =
        fmt::format("server tokens x {} bytes per token (given)", *s.options.kv_bytes_per_token);
  }
  facts.emplace_back("kv_bytes_source", std::move(kv_bytes));
  facts.emplace_back("counters",
                     "increase from the first scrape (Start) to the last (Stop); a counter that "
                     "goes down restarted, and its new value counts as the increase since");
  if (!s.resets.empty()) {
    facts.emplace_back("counter_resets", fmt::format("{}", fmt::join(s.resets, "; ")));
  }
  if (s.slots_failed > 0) {
    facts.emplace_back("slots_failed",
                       fmt::format("{}; last: {}", s.slots_failed, s.slots_last_error));
  }
  if (s.raw_series_dropped > 0) {
    facts.emplace_back("raw_series_dropped", std::to_string(s.raw_series_dropped));
  }
  if (s.rows_dropped > 0) facts.emplace_back("rows_dropped", std::to_string(s.rows_dropped));
  return facts;
}

ServerScrapeCounts ServerMetricsCollector::Counts() const {
  std::lock_guard lock(state_->mutex);
  return {.ok = state_->scrapes_ok, .failed = state_->scrapes_failed};
}

}  // namespace infermeter::collectors
