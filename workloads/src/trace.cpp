#include "infermeter/workloads/trace.h"

#include <string_view>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "infermeter/core/error.h"

namespace infermeter::workloads {

std::int64_t FullBlockCount(const Request& request, std::int64_t block_size_tokens) {
  const auto blocks = static_cast<std::int64_t>(request.block_hash_ids.size());
  return std::min(blocks, request.input_tokens / block_size_tokens);
}

std::int64_t TailTokens(const Request& request, std::int64_t block_size_tokens) {
  const auto covered = static_cast<std::int64_t>(request.block_hash_ids.size()) * block_size_tokens;
  return request.input_tokens > covered ? request.input_tokens - covered : 0;
}

std::int64_t RequestCount(const Trace& trace) {
  std::int64_t count = 0;
  for (const auto& session : trace.sessions)
    count += static_cast<std::int64_t>(session.turns.size());
  return count;
}

std::vector<std::string> ValidateTrace(const Trace& trace) {
  std::vector<std::string> problems;
  if (trace.block_size_tokens <= 0) {
    problems.push_back(
        fmt::format("block_size_tokens is {}, expected > 0", trace.block_size_tokens));
    return problems;
  }
  const std::int64_t block = trace.block_size_tokens;
  std::unordered_set<std::string_view> ids;
  ids.reserve(trace.sessions.size());
  for (const auto& session : trace.sessions) {
    if (session.id.empty()) problems.push_back("a session has an empty id");
    if (!ids.insert(session.id).second) {
      problems.push_back(fmt::format("session id '{}' is used twice", session.id));
    }
    if (session.turns.empty()) {
      problems.push_back(fmt::format("session '{}' has no turns", session.id));
    }
    for (std::size_t t = 0; t < session.turns.size(); ++t) {
      const Request& r = session.turns[t];
      const auto where = fmt::format("session '{}' turn {}", session.id, t);
      if (r.input_tokens < 0) problems.push_back(where + ": input_tokens < 0");
      if (r.output_tokens < 0) problems.push_back(where + ": output_tokens < 0");
      if (r.think_time_ns < 0) problems.push_back(where + ": think_time_ns < 0");
      const auto blocks = static_cast<std::int64_t>(r.block_hash_ids.size());
      if (blocks > 0 && r.input_tokens <= (blocks - 1) * block) {
        problems.push_back(fmt::format(
            "{}: {} blocks of {} tokens need input_tokens > {}, got {} (last block would be empty)",
            where, blocks, block, (blocks - 1) * block, r.input_tokens));
      }
      if (r.after_turns.empty()) {
        if (r.arrival_offset_ns < 0) problems.push_back(where + ": arrival_offset_ns < 0");
        if (r.think_time_ns != 0) {
          problems.push_back(where + ": think_time_ns set on a turn without predecessors");
        }
      } else {
        if (r.arrival_offset_ns != 0) {
          problems.push_back(where + ": arrival_offset_ns set on a turn that follows other turns");
        }
        std::int32_t previous = -1;
        for (const std::int32_t dep : r.after_turns) {
          if (dep <= previous || dep < 0 || static_cast<std::size_t>(dep) >= t) {
            problems.push_back(
                fmt::format("{}: after_turns must list earlier turns in increasing order, got {}",
                            where, fmt::join(r.after_turns, ",")));
            break;
          }
          previous = dep;
        }
      }
    }
  }
  return problems;
}

void CheckTrace(const Trace& trace, const std::string& source) {
  const auto problems = ValidateTrace(trace);
  if (problems.empty()) return;
  constexpr std::size_t kShown = 5;
  std::string text;
  for (std::size_t i = 0; i < problems.size() && i < kShown; ++i) text += "\n  " + problems[i];
  if (problems.size() > kShown)
    text += fmt::format("\n  ... and {} more", problems.size() - kShown);
  throw Error(fmt::format("{}: invalid trace ({} problems):{}", source, problems.size(), text));
}

}  // namespace infermeter::workloads
