#pragma once
// What the metrics need from one request's chunk list, shared by the per-request figures and the
// run summary so both read chunks the same way. A "token chunk" carries >= 1 token; 0-token
// chunks (role deltas, trailing usage chunks) never start or end a latency.

#include <cstdint>
#include <optional>
#include <vector>

#include "infermeter/harness/metrics.h"
#include "infermeter/results/records.h"

namespace infermeter::harness::detail {

struct TokenChunkFacts {
  std::optional<std::int64_t> first_ns;   // first token chunk
  std::optional<std::int64_t> second_ns;  // second token chunk
  std::optional<std::int64_t> last_ns;    // last token chunk
  std::int64_t tokens_after_first = 0;    // tokens in the token chunks after the first
};
TokenChunkFacts ScanTokenChunks(const std::vector<results::ChunkArrival>& chunks);

// Published in metrics.h (comparisons resample requests with the same rules); here by their old
// names so the harness reads as before.
using harness::AppendTokenGaps;
using harness::FirstTokenChunkNs;
using harness::RequestEndNs;

inline double NsToMs(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace infermeter::harness::detail
