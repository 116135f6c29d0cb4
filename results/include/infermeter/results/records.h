#pragma once
// The rows a run produces, as plain structs. Times are nanoseconds: `*_ns` on the run's monotonic
// clock (core/clock.h), `*_unix_ns` on the wall clock. Token counts are `*_tokens`.
// docs/RESULTS.md documents the table each struct is stored in, column by column.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/core/clock.h"
#include "infermeter/core/ids.h"

namespace infermeter::results {

enum class RunStatus { kRunning, kCompleted, kInterrupted, kFailed };
std::string_view ToString(RunStatus status);
// Throws Error naming the value for anything but running/completed/interrupted/failed.
RunStatus ParseRunStatus(std::string_view text);

// What is known about a run when it starts.
struct RunInfo {
  std::string name;
  std::string engine;                // "reference", "openai"
  std::string model;                 // preset, file or served model name
  std::string hardware_json = "{}";  // description from the collectors
  std::string workload_name;
  std::string workload_hash;       // content hash, so like-for-like runs can be recognised
  std::string config_json = "{}";  // the full effective configuration
  std::map<std::string, std::string> labels;  // user supplied key=value tags
  ClockOrigin clock_origin;                   // maps this run's monotonic times to wall time
  std::optional<std::int64_t> group_id;       // the run_groups row it belongs to, if any
  std::string group_point;                    // its point in the group: "rate=4", "long-context"
};

// A run's verdict, as MLPerf LoadGen gives one: a run is VALID unless one of the checks the
// harness makes (docs/METRICS.md, "Run validity") failed; then the reasons say which and why.
enum class Validity { kValid, kInvalid };
std::string_view ToString(Validity validity);
Validity ParseValidity(std::string_view text);

// Runs made together by one invocation: a sweep, a max-goodput search, a default suite.
enum class RunGroupKind { kSuite, kSweep, kGoodputSearch, kRepeat };
std::string_view ToString(RunGroupKind kind);
RunGroupKind ParseRunGroupKind(std::string_view text);

struct RunGroup {
  std::int64_t id = 0;  // set by the store
  RunGroupKind kind = RunGroupKind::kSuite;
  std::string name;
  std::int64_t created_unix_ns = 0;  // set by the store
  std::string config_json = "{}";    // what was asked: swept values, SLOs, target fraction
  std::string result_json = "{}";    // what was found: the max-goodput rate, ...
};

// A run as stored: RunInfo plus what the store adds.
struct RunRow {
  RunId id;
  RunInfo info;
  RunStatus status = RunStatus::kRunning;
  std::int64_t created_unix_ns = 0;
  std::optional<std::int64_t> finished_unix_ns;
  std::string infermeter_version;
  std::string git_revision;
  std::int64_t request_count = 0;    // rows in `requests` for this run (computed on read)
  std::optional<Validity> validity;  // set when the run ends
  std::vector<std::string> validity_reasons;
  std::string collectors_json = "{}";  // what each collector did (schema v4)
};

// One streamed chunk of output: when it arrived and how many tokens it carried.
struct ChunkArrival {
  std::int64_t time_ns = 0;
  std::int32_t tokens = 0;
  friend bool operator==(const ChunkArrival&, const ChunkArrival&) = default;
};

// Calls gap(gap_ns, tokens) for each token chunk after the first: the time since the previous
// token chunk and the tokens this one carried. The pooled ITL is gap_ns / tokens, weighted by
// tokens (harness::RunSummary::itl_ms); chunks with no tokens are skipped. The one definition of
// a token gap: the harness's summary, the live exporter and the dashboard all count with it.
template <typename GapFn>
void ForEachTokenGap(const std::vector<ChunkArrival>& chunks, GapFn&& gap) {
  bool have_previous = false;
  std::int64_t previous_ns = 0;
  for (const ChunkArrival& chunk : chunks) {
    if (chunk.tokens <= 0) continue;
    if (have_previous) gap(chunk.time_ns - previous_ns, chunk.tokens);
    previous_ns = chunk.time_ns;
    have_previous = true;
  }
}

enum class RequestStatus { kOk, kError, kCancelled };
std::string_view ToString(RequestStatus status);
RequestStatus ParseRequestStatus(std::string_view text);

// One request of a run, with the arrival time of every chunk it streamed.
struct RequestRecord {
  RunId run_id;
  std::int64_t request_id = 0;  // unique within the run
  std::optional<std::string> session_id;
  std::optional<std::int32_t> turn_index;
  std::int64_t scheduled_ns = 0;  // when the load model wanted it sent
  // When the harness let it go: scheduled_ns, or later when a concurrency cap held it back.
  // Schedule lag is sent_ns - released_ns; the cap's wait is released_ns - scheduled_ns.
  std::optional<std::int64_t> released_ns;
  std::optional<std::int64_t> sent_ns;
  std::optional<std::int64_t> first_token_ns;
  std::optional<std::int64_t> last_token_ns;
  std::optional<std::int64_t> done_ns;
  std::int64_t input_tokens = 0;
  std::int64_t cached_tokens = 0;  // prompt tokens served from a prefix cache
  std::int64_t output_tokens = 0;
  std::optional<std::int64_t> requested_output_tokens;
  // Time the engine says the request waited in its own queue, when it says (ns).
  std::optional<std::int64_t> engine_queue_ns;
  // HTTP engines (schema v5): when the connection was ready and when the response's first byte
  // arrived; nullopt when the engine does not say (the embedded reference engine).
  std::optional<std::int64_t> connected_ns;
  std::optional<std::int64_t> first_byte_ns;
  // Arrival of the first chunk with visible tokens (not reasoning output); equals
  // first_token_ns unless reasoning tokens came first.
  std::optional<std::int64_t> first_visible_token_ns;
  // Of output_tokens, reasoning ("thinking") output; nullopt when the engine did not say.
  std::optional<std::int64_t> reasoning_tokens;
  std::string finish_reason;  // "length", "stop", "cancelled", … ("" if none)
  RequestStatus status = RequestStatus::kOk;
  std::string error_class;  // "" when status is ok
  std::string error_message;
  // Non-decreasing times, none before sent_ns. Stored compactly (see chunk_codec.h).
  std::vector<ChunkArrival> chunks;

  friend bool operator==(const RequestRecord&, const RequestRecord&) = default;
};

// One point of a collector's time series.
struct SampleRecord {
  RunId run_id;
  std::int64_t time_ns = 0;
  std::string source;              // collector name: "latency", "nvml", "engine"
  std::string metric;              // "kv_bytes_used", "gpu_power_watts"
  std::string labels_json = "{}";  // small, bounded label set, e.g. {"gpu":"0"}
  double value = 0;
  friend bool operator==(const SampleRecord&, const SampleRecord&) = default;
};

// One summary figure of a run.
struct RunMetric {
  RunId run_id;
  std::string name;  // "output_tokens_per_s", "ttft_p99_ms"
  double value = 0;
  std::string unit;  // "tokens/s", "ms", "" for ratios
  friend bool operator==(const RunMetric&, const RunMetric&) = default;
};

// One measured peak of the host (`infermeter probe`), a row of `hardware_peaks`.
struct HardwarePeak {
  std::int64_t id = 0;  // set by the store; ignored when recording
  std::int64_t measured_unix_ns = 0;
  std::string host;       // hostname
  std::string cpu_model;  // "model name" from /proc/cpuinfo
  int logical_cores = 0;
  std::string metric;  // "gemm_flops_per_s" or "memory_bandwidth_bytes_per_s"
  std::string dtype;   // "fp32", "bf16"; "" for bandwidth
  double value = 0;    // in the unit the metric names (FLOP/s, bytes/s)
  std::string method;  // "cblas_sgemm 2048^3, median of 5"
  std::string details_json = "{}";
  friend bool operator==(const HardwarePeak&, const HardwarePeak&) = default;
};

}  // namespace infermeter::results
