#include "infermeter/workloads/summary.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

namespace infermeter::workloads {

TokenStats ComputeTokenStats(std::vector<std::int64_t> values) {
  TokenStats stats;
  if (values.empty()) return stats;
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  const auto rank = [&](int percent) {
    // ceil(percent * n / 100) in integers; at least 1.
    const std::size_t k = std::max<std::size_t>(1, (percent * n + 99) / 100);
    return values[k - 1];
  };
  stats.min = values.front();
  stats.max = values.back();
  stats.p50 = rank(50);
  stats.p90 = rank(90);
  stats.p99 = rank(99);
  long double sum = 0;
  for (const auto v : values) sum += static_cast<long double>(v);
  stats.mean = static_cast<double>(sum / static_cast<long double>(n));
  return stats;
}

std::vector<std::int64_t> NominalArrivalsNs(const Trace& trace) {
  std::vector<std::int64_t> arrivals;
  arrivals.reserve(static_cast<std::size_t>(RequestCount(trace)));
  for (const Session& session : trace.sessions) {
    const std::size_t first = arrivals.size();
    for (const Request& r : session.turns) {
      std::int64_t when = r.arrival_offset_ns;
      if (!r.after_turns.empty()) {
        std::int64_t ready = 0;
        for (const auto dep : r.after_turns) {
          ready = std::max(ready, arrivals[first + static_cast<std::size_t>(dep)]);
        }
        when = ready + r.think_time_ns;
      }
      arrivals.push_back(when);
    }
  }
  return arrivals;
}

namespace {

// A trie of block chains: node ids for (parent node, hash id) pairs.
class BlockTrie {
 public:
  // Returns the child node and whether it existed already.
  std::pair<std::uint32_t, bool> Child(std::uint32_t parent, BlockHashId id) {
    const auto [it, inserted] = children_.try_emplace(Key{parent, id}, next_id_);
    if (inserted) ++next_id_;
    return {it->second, !inserted};
  }

 private:
  struct Key {
    std::uint32_t parent;
    BlockHashId id;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<std::uint64_t>()(k.id * 0x9e3779b97f4a7c15ULL ^ k.parent);
    }
  };
  std::unordered_map<Key, std::uint32_t, KeyHash> children_;
  std::uint32_t next_id_ = 1;  // 0 is the root
};

}  // namespace

double PrefixReuseRatio(const Trace& trace) {
  std::vector<const Request*> requests;
  for (const Session& session : trace.sessions) {
    for (const Request& r : session.turns) requests.push_back(&r);
  }
  const auto arrivals = NominalArrivalsNs(trace);
  std::vector<std::size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return arrivals[a] < arrivals[b]; });
  BlockTrie trie;
  long double total = 0;
  long double hit = 0;
  for (const std::size_t i : order) {
    const Request& r = *requests[i];
    total += static_cast<long double>(r.input_tokens);
    const std::int64_t full = FullBlockCount(r, trace.block_size_tokens);
    std::uint32_t node = 0;
    bool prefix_hit = true;
    for (std::int64_t b = 0; b < full; ++b) {
      const auto [child, existed] = trie.Child(node, r.block_hash_ids[static_cast<std::size_t>(b)]);
      prefix_hit = prefix_hit && existed;
      if (prefix_hit) hit += static_cast<long double>(trace.block_size_tokens);
      node = child;
    }
  }
  return total > 0 ? static_cast<double>(hit / total) : 0.0;
}

TraceSummary Summarize(const Trace& trace) {
  TraceSummary s;
  s.format = trace.source_format;
  s.token_count_method = trace.token_count_method;
  s.block_size_tokens = trace.block_size_tokens;
  s.sessions = static_cast<std::int64_t>(trace.sessions.size());
  std::vector<std::int64_t> inputs;
  std::vector<std::int64_t> outputs;
  for (const Session& session : trace.sessions) {
    for (const Request& r : session.turns) {
      inputs.push_back(r.input_tokens);
      outputs.push_back(r.output_tokens);
      if (!r.after_turns.empty()) s.duration_is_lower_bound = true;
      if (std::find(r.metadata.tags.begin(), r.metadata.tags.end(), "failed") !=
          r.metadata.tags.end()) {
        ++s.failed_requests;
      }
    }
  }
  s.requests = static_cast<std::int64_t>(inputs.size());
  const auto arrivals = NominalArrivalsNs(trace);
  if (!arrivals.empty()) {
    const auto [lo, hi] = std::minmax_element(arrivals.begin(), arrivals.end());
    s.duration_s = static_cast<double>(*hi - *lo) / 1e9;
  }
  s.mean_rate_per_s = s.duration_s > 0 ? static_cast<double>(s.requests) / s.duration_s : 0.0;
  s.input_tokens = ComputeTokenStats(std::move(inputs));
  s.output_tokens = ComputeTokenStats(std::move(outputs));
  s.mean_turns_per_session =
      s.sessions > 0 ? static_cast<double>(s.requests) / static_cast<double>(s.sessions) : 0.0;
  s.prefix_reuse_ratio = PrefixReuseRatio(trace);
  return s;
}

}  // namespace infermeter::workloads
