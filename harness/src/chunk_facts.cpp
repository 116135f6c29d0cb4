#include "chunk_facts.h"

#include <algorithm>

namespace infermeter::harness::detail {

// Chunk times are non-decreasing (RequestRecord's contract), so list order is arrival order.

TokenChunkFacts ScanTokenChunks(const std::vector<results::ChunkArrival>& chunks) {
  TokenChunkFacts facts;
  for (const results::ChunkArrival& chunk : chunks) {
    if (chunk.tokens <= 0) continue;
    if (!facts.first_ns) {
      facts.first_ns = chunk.time_ns;
    } else {
      if (!facts.second_ns) facts.second_ns = chunk.time_ns;
      facts.tokens_after_first += chunk.tokens;
    }
    facts.last_ns = chunk.time_ns;
  }
  return facts;
}

}  // namespace infermeter::harness::detail

namespace infermeter::harness {

std::optional<std::int64_t> FirstTokenChunkNs(const std::vector<results::ChunkArrival>& chunks) {
  const auto it = std::find_if(chunks.begin(), chunks.end(),
                               [](const results::ChunkArrival& c) { return c.tokens > 0; });
  if (it == chunks.end()) return std::nullopt;
  return it->time_ns;
}

std::optional<std::int64_t> RequestEndNs(const results::RequestRecord& request) {
  std::optional<std::int64_t> end = request.done_ns;
  if (!request.chunks.empty())
    end = std::max(end.value_or(request.chunks.back().time_ns), request.chunks.back().time_ns);
  return end;
}

void AppendTokenGaps(const std::vector<results::ChunkArrival>& chunks,
                     std::vector<WeightedValue>& out) {
  results::ForEachTokenGap(chunks, [&out](std::int64_t gap_ns, std::int32_t tokens) {
    const double weight = tokens;
    out.push_back({.value = detail::NsToMs(gap_ns) / weight, .weight = weight});
  });
}

}  // namespace infermeter::harness
