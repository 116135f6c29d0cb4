#pragma once
// The sample source: what the load generator replays, seen the way MLPerf LoadGen sees a query
// sample library — sessions of turns with their timing and lengths, and a way to get a turn's
// prompt. The harness never sees a trace file, a generator or a tokenizer; workloads/ adapts its
// trace model to this interface (workloads/trace_sample_source.h).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "infermeter/core/engine.h"

namespace infermeter::harness {

// One model call. When it is due: `arrival_offset_ns` after the run starts if `after_turns` is
// empty (open loop; a closed loop ignores it), otherwise `think_time_ns` after the last of
// `after_turns` (earlier turns of the same session) has completed.
struct SampleTurn {
  std::int64_t arrival_offset_ns = 0;
  std::vector<std::int32_t> after_turns;
  std::int64_t think_time_ns = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;  // requested (max_tokens)
};

struct SampleSession {
  std::string id;  // passed to the engine as the session-affinity id
  std::vector<SampleTurn> turns;
};

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  // Sessions in the order they start (open loop: by their first turn's arrival).
  virtual const std::vector<SampleSession>& Sessions() const = 0;
  // Writes the prompt of one turn (exactly its input_tokens token ids) into `out`, replacing its
  // contents. Called on the scheduler thread before the turn is due; must be thread-compatible.
  virtual void BuildPrompt(std::size_t session, std::int32_t turn,
                           std::vector<TokenId>& out) const = 0;
};

}  // namespace infermeter::harness
