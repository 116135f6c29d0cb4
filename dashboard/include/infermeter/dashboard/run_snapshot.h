#pragma once
// Everything the run-detail view draws, loaded in one go off the GUI thread and handed over as a
// value (the hotspot/heaptrack pattern: a Qt-free loading core, whole snapshots to the models).
// Exact figures come from run_metrics; what is drawn is downsampled (downsample.h), so a run with
// a million requests opens in seconds. Reads the results file read-only; a run being written
// can be loaded again as it grows (WAL lets it read while the writer writes).

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "infermeter/core/error.h"
#include "infermeter/dashboard/downsample.h"
#include "infermeter/results/records.h"

namespace infermeter::dashboard {

// Thrown by a load whose cancel flag was set.
class LoadCancelled : public Error {
 public:
  LoadCancelled() : Error("loading was cancelled") {}
};

struct SnapshotSettings {
  std::size_t series_buckets = 1000;        // per time series: at most 4x this many points
  std::size_t cdf_points = 1000;            // per latency CDF
  std::size_t scatter_points = 5000;        // input length vs TTFT
  std::size_t itl_sample_requests = 20000;  // requests whose chunks are decoded for the ITL CDF
  std::size_t sessions = 200;               // sessions on the per-session timeline
  std::size_t histogram_bins = 50;          // per latency histogram
};

// A collector's series (samples table), x in seconds from the run's first send.
struct Series {
  std::string source;  // collector
  std::string metric;
  std::string labels_json;
  std::vector<Point> points;      // downsampled
  std::size_t stored_points = 0;  // before downsampling
};

// A latency CDF: x in milliseconds, y the fraction of requests (or tokens, for ITL) at or below.
struct LatencyCdf {
  std::vector<Point> points;
  Histogram histogram;     // of the same values, in ms
  std::int64_t count = 0;  // values it was drawn from
  bool sampled = false;    // from a subset of requests (ITL of a large run): say so on the chart
};

// One turn on the per-session timeline, seconds from the run's first send.
struct Turn {
  std::int32_t turn_index = 0;
  double sent_s = 0;
  std::optional<double> first_token_s;
  std::optional<double> done_s;
  results::RequestStatus status = results::RequestStatus::kOk;
};

struct Session {
  std::string id;
  std::vector<Turn> turns;  // in turn order; the gaps between them are tool and think time
};

struct RunSnapshot {
  results::RunRow run;
  std::vector<results::RunMetric> metrics;  // exact, as stored
  std::int64_t start_ns = 0;                // the time axis's zero (run monotonic clock)
  std::vector<Series> series;
  LatencyCdf ttft, tpot, itl, e2e;
  std::vector<Point> input_tokens_vs_ttft_ms;  // downsampled scatter
  std::map<std::string, std::int64_t> errors_by_class;
  std::int64_t requests = 0;
  std::vector<Session> sessions;  // the first `sessions` sessions of an agentic workload
};

// Loads run `run` of the results file at `db_path`. Throws Error when the file cannot be read or
// has no such run, and LoadCancelled as soon as `cancel` (may be null) is seen set.
RunSnapshot LoadRunSnapshot(const std::string& db_path, RunId run,
                            const SnapshotSettings& settings = {},
                            const std::atomic<bool>* cancel = nullptr);

}  // namespace infermeter::dashboard
