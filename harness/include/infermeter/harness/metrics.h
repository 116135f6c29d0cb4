#pragma once
// Run metrics computed from stored requests: every figure comes from the per-chunk arrival times
// and token counts in `requests`/`request_chunks` (results/records.h), never from counters kept
// while the run ran, so a run summarised again later gives the same figures.
// docs/METRICS.md defines each figure; the names here are the names there.
//
// Times in RequestRecord are nanoseconds on the run's monotonic clock; figures here are in
// milliseconds (latencies), seconds (durations) and per-second rates, as the names say.
//
// A "token chunk" below is a streamed chunk carrying >= 1 token; chunks with 0 tokens (a role
// delta, a trailing usage chunk) never start or end a latency.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "infermeter/results/records.h"

namespace infermeter::harness {

// Exact order statistics of a sample (no sketches, no interpolation): pXX is the nearest-rank
// value, the smallest value with at least XX% of the sample at or below it (sorted[ceil(q*n)-1]).
// `count` is 0 and every figure 0 for an empty sample. std is the population standard deviation.
struct Distribution {
  std::int64_t count = 0;
  double mean = 0, std = 0, min = 0, max = 0;
  double p50 = 0, p90 = 0, p95 = 0, p99 = 0, p99_9 = 0;
};
// Reorders `values` (selection, not a full sort: O(n) expected, so a run's hundreds of millions
// of inter-token gaps summarise in seconds).
Distribution Summarize(std::vector<double>& values);

// A sample value that counts as `weight` values (token-weighted ITL: one gap per chunk, weighted
// by the tokens that chunk carried).
struct WeightedValue {
  double value = 0;
  double weight = 0;
};
// Weighted order statistics: pXX is the smallest value whose cumulative weight is at least XX% of
// the total weight; mean and std are weighted; `count` is the total weight rounded. Values with
// weight <= 0 are ignored (min and max included). Reorders `sample`.
Distribution SummarizeWeighted(std::vector<WeightedValue>& sample);
// The same from parallel vectors. REQUIRES: values.size() == weights.size().
Distribution SummarizeWeighted(std::vector<double> values, std::vector<double> weights);

// Service-level objectives; a request is good when it succeeded and meets every SLO that is set.
struct SloSettings {
  std::optional<double> ttft_ms;
  std::optional<double> tpot_ms;
  std::optional<double> itl_ms;  // the request's own mean ITL (itl_mean_ms below)
  std::optional<double> e2e_ms;
  bool any() const { return ttft_ms || tpot_ms || itl_ms || e2e_ms; }
};
// Parses "ttft=500,tpot=30,e2e=20000" (milliseconds; keys ttft, tpot, itl, e2e; each at most
// once; values finite and > 0). Throws InputError naming `option` and the offending item.
SloSettings ParseSlo(const std::string& text, const std::string& option);

// Per-request figures, derived from one RequestRecord. Latencies need sent_ns; every figure is
// absent when what it is measured from is missing.
struct RequestTimings {
  bool ok = false;                              // status ok (not error, not cancelled)
  std::optional<double> ttft_ms;                // first token chunk − sent
  std::optional<double> ttst_ms;                // second token chunk − first token chunk
  std::optional<double> e2e_ms;                 // last token chunk (done if none) − sent
  std::optional<double> e2e_from_scheduled_ms;  // the same from scheduled_ns
  std::optional<double> ttft_from_scheduled_ms;
  std::optional<double> tpot_ms;  // (e2e − ttft) / (N − 1), N = output_tokens >= 2
  // Token-weighted mean of the request's per-token gaps: (last − first token chunk) / (tokens
  // in the token chunks after the first); needs >= 2 token chunks.
  std::optional<double> itl_mean_ms;
  std::optional<double> ntpot_ms;         // e2e / N (normalized time per output token), N >= 1
  std::optional<double> schedule_lag_ms;  // sent − released (scheduled when not released)
  std::optional<double> queue_ms;         // the engine's own queue time, when reported
  // First visible (non-reasoning) token − sent; equals ttft_ms unless reasoning came first.
  std::optional<double> ttfvt_ms;
  // The output began with reasoning: a token chunk came before the first visible token, or the
  // engine counted reasoning tokens and no visible token came at all.
  bool reasoning_first = false;
  std::optional<double> connect_ms;     // connection ready − sent (HTTP engines)
  std::optional<double> first_byte_ms;  // response's first byte − sent (HTTP engines)
  // ok, finished (e2e known) and meets every SLO set; false when no SLO is set. A missing TPOT
  // (N < 2) or mean ITL (< 2 token chunks) passes that SLO, as in vLLM; a missing TTFT fails.
  bool good = false;
};
RequestTimings ComputeRequestTimings(const results::RequestRecord& request, const SloSettings& slo);

// Arrival time of the first token chunk; nullopt when none carries a token.
std::optional<std::int64_t> FirstTokenChunkNs(const std::vector<results::ChunkArrival>& chunks);

// When the request stopped occupying the engine: the later of its last chunk (any kind) and
// done_ns; nullopt when it has neither.
std::optional<std::int64_t> RequestEndNs(const results::RequestRecord& request);

// The span a run's rates are over: from the first send (the first scheduled time when nothing
// was sent) to the latest chunk or done time of any request; never negative.
struct RunSpan {
  std::int64_t start_ns = 0, end_ns = 0;
  double duration_s = 0;
};
RunSpan FindRunSpan(const std::vector<results::RequestRecord>& requests);

// Appends one value per gap between consecutive token chunks: the gap divided by the tokens of
// the later chunk (ms per token), weighted by those tokens (the pooled ITL's sample).
void AppendTokenGaps(const std::vector<results::ChunkArrival>& chunks,
                     std::vector<WeightedValue>& out);

// One point of a series over the run, at the start of a 1 s bucket (or at an event).
struct SeriesPoint {
  std::int64_t time_ns = 0;  // run monotonic clock
  double value = 0;
};

struct RunSummary {
  // Counts.
  std::int64_t requests_total = 0;
  std::int64_t requests_completed = 0;  // status ok
  std::int64_t requests_failed = 0;     // status error
  std::int64_t requests_cancelled = 0;
  std::map<std::string, std::int64_t> errors_by_class;  // failed requests; "" → "unknown"
  std::int64_t input_tokens = 0;                        // over completed requests
  std::int64_t cached_tokens = 0;                       // over completed requests
  std::int64_t output_tokens = 0;                       // over completed requests
  // Of output_tokens, reasoning output: the sum over completed requests that say; nullopt when
  // none does (the engine does not tell reasoning apart).
  std::optional<std::int64_t> reasoning_tokens;
  // Requests whose returned output tokens differ from requested_output_tokens (completed
  // requests with a requested length only), and how many of those stopped short.
  std::int64_t usage_mismatches = 0;
  std::int64_t output_shortfalls = 0;

  // Time base: from the first send (first scheduled time when nothing was sent) to the latest
  // chunk or done time of any request.
  double duration_s = 0;
  std::int64_t start_ns = 0, end_ns = 0;

  // Throughput over duration_s (completed requests' tokens).
  double request_throughput_per_s = 0;
  double input_tokens_per_s = 0;
  double output_tokens_per_s = 0;
  double total_tokens_per_s = 0;
  double peak_output_tokens_per_s = 0;  // max over 1 s buckets
  // Steady state: the longest window where in-flight requests stay >= 90% of their maximum.
  double steady_state_start_s = 0, steady_state_duration_s = 0;  // relative to start_ns
  double steady_state_output_tokens_per_s = 0;
  double max_in_flight = 0;
  double mean_in_flight = 0;  // time-weighted over duration_s

  // Latency distributions over completed requests (ms).
  Distribution ttft_ms, ttst_ms, e2e_ms, tpot_ms, ntpot_ms;
  Distribution itl_ms;       // pooled per-token gaps, token-weighted (count = tokens)
  Distribution itl_mean_ms;  // per-request means (RequestTimings::itl_mean_ms)
  Distribution ttft_from_scheduled_ms, e2e_from_scheduled_ms;
  Distribution schedule_lag_ms;  // over every sent request, whatever its status
  Distribution queue_ms;         // engine-reported queue time, completed requests that have one
  // Completed requests that have the time (empty for engines that do not report it).
  Distribution ttfvt_ms;       // time to first visible token
  Distribution connect_ms;     // HTTP connection ready
  Distribution first_byte_ms;  // HTTP response's first byte
  // Completed requests whose output began with reasoning (RequestTimings::reasoning_first):
  // when 0, TTFVT is TTFT and reports need not show both.
  std::int64_t reasoning_first_requests = 0;

  // Goodput (only meaningful when slo_set).
  bool slo_set = false;
  SloSettings slo;  // what goodput was judged against
  std::int64_t good_requests = 0;
  double goodput_requests_per_s = 0;
  double goodput_output_tokens_per_s = 0;
  double good_fraction = 0;  // good / (completed + failed); cancelled requests left out

  // Prefix cache: cached / input tokens over completed requests.
  double prefix_cache_hit_ratio = 0;

  // Series for plots and the `samples` table.
  std::vector<SeriesPoint> in_flight;               // step function: value from time_ns on
  std::vector<SeriesPoint> output_tokens_per_s_1s;  // 1 s buckets from start_ns
  std::vector<SeriesPoint> input_tokens_per_s_1s;
};

RunSummary SummarizeRun(const std::vector<results::RequestRecord>& requests,
                        const SloSettings& slo);

// The summary as `run_metrics` rows ("ttft_p99_ms", "output_tokens_per_s", ...), named as in
// docs/METRICS.md. `run` fills RunMetric::run_id. Names are unique within the result.
std::vector<results::RunMetric> ToRunMetrics(const RunSummary& summary, RunId run);

}  // namespace infermeter::harness
