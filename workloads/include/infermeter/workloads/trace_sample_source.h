#pragma once
// A trace as the harness's sample source: the harness sees sessions of turns with their timing
// and lengths, and asks for each turn's prompt just before it is due; the token ids come from
// the trace's block description (token_synthesis.h), so shared prefixes stay shared.

#include <cstdint>
#include <string>
#include <vector>

#include "infermeter/harness/sample_source.h"
#include "infermeter/workloads/token_synthesis.h"
#include "infermeter/workloads/trace.h"

namespace infermeter::workloads {

class TraceSampleSource final : public harness::SampleSource {
 public:
  // Throws Error when the trace is invalid (CheckTrace), naming `source`.
  TraceSampleSource(Trace trace, TokenSettings tokens, const std::string& source);

  const std::vector<harness::SampleSession>& Sessions() const override { return sessions_; }
  void BuildPrompt(std::size_t session, std::int32_t turn,
                   std::vector<TokenId>& out) const override;

  const Trace& trace() const { return trace_; }

 private:
  Trace trace_;
  TokenSynthesizer synthesizer_;
  std::vector<harness::SampleSession> sessions_;
};

// A content hash of what a run replays (every session's turns: lengths, block ids, dependencies
// and times) and of the token seed, as 16 hex digits. Runs with equal hashes sent the same
// requests at the same offsets, so comparing them is like for like.
std::string WorkloadHash(const Trace& trace, const TokenSettings& tokens);

}  // namespace infermeter::workloads
