#pragma once
// Statistics of a trace, as `infermeter trace inspect` prints them.

#include <cstdint>
#include <string>
#include <vector>

#include "infermeter/workloads/trace.h"

namespace infermeter::workloads {

// Percentiles use the nearest-rank definition: pXX is the smallest value such that at least XX%
// of the values are <= it (sorted[ceil(XX/100 * n) - 1]).
struct TokenStats {
  std::int64_t min = 0;
  std::int64_t p50 = 0;
  std::int64_t p90 = 0;
  std::int64_t p99 = 0;
  std::int64_t max = 0;
  double mean = 0;
};
TokenStats ComputeTokenStats(std::vector<std::int64_t> values);

// When each request would be issued if every model call took no time: the explicit arrival
// offset, or the latest predecessor's time plus the think time. Indexed like the flattened
// sessions (session by session, turn by turn).
std::vector<std::int64_t> NominalArrivalsNs(const Trace& trace);

// The fraction of all input tokens that an infinite cache of full blocks would hit when requests
// arrive in nominal arrival order (ties in trace order): a block hits when the same chain of hash
// ids up to and including it was seen in an earlier request. Partial last blocks and tails never
// hit (engines cache full blocks only), so a request hits a multiple of the block size.
double PrefixReuseRatio(const Trace& trace);

struct TraceSummary {
  std::string format;
  std::string token_count_method;
  std::int64_t requests = 0;
  std::int64_t sessions = 0;
  // From the first to the last nominal arrival. With dependent turns this leaves out the model's
  // own time, so it is a lower bound (duration_is_lower_bound).
  double duration_s = 0;
  bool duration_is_lower_bound = false;
  double mean_rate_per_s = 0;  // requests / duration_s; 0 when the duration is 0
  TokenStats input_tokens;
  TokenStats output_tokens;
  double mean_turns_per_session = 0;
  double prefix_reuse_ratio = 0;
  std::int64_t failed_requests = 0;  // tagged "failed" (recorded failures kept in the trace)
  std::int64_t block_size_tokens = 0;
};

TraceSummary Summarize(const Trace& trace);

}  // namespace infermeter::workloads
