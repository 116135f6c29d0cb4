#pragma once
// A sample source built in code, for harness tests: sessions as given, prompts of
// `input_tokens` copies of token 7.

#include <string>
#include <utility>
#include <vector>

#include "infermeter/harness/sample_source.h"

namespace infermeter::testing {

class VectorSource final : public harness::SampleSource {
 public:
  explicit VectorSource(std::vector<harness::SampleSession> sessions)
      : sessions_(std::move(sessions)) {}
  const std::vector<harness::SampleSession>& Sessions() const override { return sessions_; }
  void BuildPrompt(std::size_t session, std::int32_t turn,
                   std::vector<TokenId>& out) const override {
    out.assign(static_cast<std::size_t>(
                   sessions_[session].turns[static_cast<std::size_t>(turn)].input_tokens),
               7);
  }

  // `count` single-turn sessions arriving every `gap_ns`.
  static VectorSource Spaced(int count, std::int64_t gap_ns, std::int64_t output_tokens) {
    std::vector<harness::SampleSession> sessions;
    for (int i = 0; i < count; ++i) {
      std::string id = "s";  // not "s" + to_string(i): GCC 12 warns falsely (-Wrestrict)
      id += std::to_string(i);
      sessions.push_back({.id = std::move(id),
                          .turns = {{.arrival_offset_ns = i * gap_ns,
                                     .input_tokens = 16,
                                     .output_tokens = output_tokens}}});
    }
    return VectorSource(std::move(sessions));
  }

 private:
  std::vector<harness::SampleSession> sessions_;
};

}  // namespace infermeter::testing
