#pragma once
// The load generator: sends a sample source's turns to an engine at their scheduled times and
// measures every request from the harness's side.
//
// One dedicated scheduler thread (the caller of Run) decides what is due and sends it: it sleeps
// until shortly before a send time and spins the rest, so sends are not quantised by an event
// loop. The engine's threads report chunks into per-request sinks that only append timestamps;
// finished requests come back to the scheduler through one queue, which releases dependent turns
// (agentic sessions) and concurrency slots. Every request records its scheduled, released and
// sent times, so latency can be measured from either, and schedule lag (sent - released) shows
// whether the client kept up.

#include <atomic>
#include <cstdint>
#include <memory>

#include "infermeter/core/engine.h"
#include "infermeter/harness/load_settings.h"
#include "infermeter/harness/sample_source.h"
#include "infermeter/results/records.h"

namespace infermeter::harness {

// Receives every finished request on the scheduler thread, in completion order.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void OnRequestFinished(results::RequestRecord record, bool warmup) = 0;
};

// Counters readable from any thread while a run goes on (for progress bars and live samples).
struct LoadProgress {
  std::int64_t planned_requests = 0;  // what the source holds, capped by max_requests
  std::int64_t sent_requests = 0;     // warm-up included
  std::int64_t finished_requests = 0;
  std::int64_t failed_requests = 0;
  std::int64_t in_flight_requests = 0;
  std::int64_t output_tokens = 0;  // chunks' tokens received so far
  std::int64_t start_ns = 0;       // run clock; 0 before Run starts
};

enum class StopReason { kEndOfSource, kMaxRequests, kMaxDuration, kInterrupted };
std::string_view ToString(StopReason reason);

struct LoadOutcome {
  std::int64_t start_ns = 0;  // the run's time zero: arrival offsets count from here
  std::int64_t end_ns = 0;    // the last request finished (or was given up)
  StopReason stop_reason = StopReason::kEndOfSource;
  std::int64_t sent_requests = 0;  // measured requests sent (warm-up excluded)
  std::int64_t warmup_requests = 0;
  std::int64_t cancelled_at_drain = 0;  // still running when drain_timeout_ns ran out
  std::int64_t lost_requests = 0;  // never reported back after being cancelled (recorded as such)
  // CPU time of the scheduler thread, and the part of it spent spinning just before send times
  // (deliberate, and proportional to the spin window, not to the work per request).
  std::int64_t scheduler_cpu_ns = 0;
  std::int64_t scheduler_spin_ns = 0;

  // The client's own work per request sent (warm-up included), spinning left out: microseconds.
  double ClientCpuPerRequestUs() const {
    const std::int64_t sent = sent_requests + warmup_requests;
    if (sent == 0) return 0;
    return static_cast<double>(scheduler_cpu_ns - scheduler_spin_ns) / 1e3 /
           static_cast<double>(sent);
  }
};

class LoadGenerator {
 public:
  // `engine`, `source` and `observer` must outlive Run. Throws InputError for settings that make
  // no sense (closed loop without max_concurrency, a cap below 1, negative counts).
  LoadGenerator(Engine& engine, const SampleSource& source, LoadSettings settings, RunId run,
                RequestObserver& observer);
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  // Sends, waits and drains on the calling thread; returns when every sent request has ended.
  // `stop` may be set from any thread or a signal handler: sending stops, in-flight requests are
  // cancelled and recorded as cancelled, and the outcome says kInterrupted.
  LoadOutcome Run(const std::atomic<bool>& stop);

  LoadProgress Progress() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace infermeter::harness
