#include "infermeter/workloads/trace_sample_source.h"

#include <fmt/format.h>

#include "infermeter/workloads/random.h"

namespace infermeter::workloads {

TraceSampleSource::TraceSampleSource(Trace trace, TokenSettings tokens, const std::string& source)
    : trace_(std::move(trace)), synthesizer_(tokens, trace_.block_size_tokens) {
  CheckTrace(trace_, source);
  sessions_.reserve(trace_.sessions.size());
  for (const Session& session : trace_.sessions) {
    harness::SampleSession out;
    out.id = session.id;
    out.turns.reserve(session.turns.size());
    for (const Request& request : session.turns) {
      out.turns.push_back({.arrival_offset_ns = request.arrival_offset_ns,
                           .after_turns = request.after_turns,
                           .think_time_ns = request.think_time_ns,
                           .input_tokens = request.input_tokens,
                           .output_tokens = request.output_tokens});
    }
    sessions_.push_back(std::move(out));
  }
}

void TraceSampleSource::BuildPrompt(std::size_t session, std::int32_t turn,
                                    std::vector<TokenId>& out) const {
  const Session& s = trace_.sessions.at(session);
  out = synthesizer_.Synthesize(s.turns.at(static_cast<std::size_t>(turn)), RequestKey(s.id, turn));
}

std::string WorkloadHash(const Trace& trace, const TokenSettings& tokens) {
  std::uint64_t h = Combine64(0x696e6665726d6574ULL, tokens.seed);
  h = Combine64(h, static_cast<std::uint64_t>(tokens.vocab_begin));
  h = Combine64(h, static_cast<std::uint64_t>(tokens.vocab_end));
  h = Combine64(h, static_cast<std::uint64_t>(trace.block_size_tokens));
  const auto mix = [&h](std::int64_t value) {
    h = Combine64(h, static_cast<std::uint64_t>(value));
  };
  for (const Session& session : trace.sessions) {
    for (const char c : session.id) mix(static_cast<unsigned char>(c));
    mix(static_cast<std::int64_t>(session.turns.size()));
    for (const Request& r : session.turns) {
      mix(r.arrival_offset_ns);
      mix(r.think_time_ns);
      mix(r.input_tokens);
      mix(r.output_tokens);
      mix(static_cast<std::int64_t>(r.after_turns.size()));
      for (const std::int32_t before : r.after_turns) mix(before);
      mix(static_cast<std::int64_t>(r.block_hash_ids.size()));
      for (const BlockHashId id : r.block_hash_ids) mix(static_cast<std::int64_t>(id));
    }
  }
  return fmt::format("{:016x}", h);
}

}  // namespace infermeter::workloads
