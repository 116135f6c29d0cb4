#pragma once
// Progress of a run on stderr: a one-line bar redrawn in place on a terminal (done/total,
// tokens/s, in flight, elapsed, ETA), or a plain log line every 10 s when stderr is not a
// terminal (CI logs, files).

#include <cstdint>
#include <string>

#include "infermeter/harness/load_generator.h"

namespace infermeter::cli {

class ProgressBar {
 public:
  // `label` names the run ("agentic", "rate=4"); `enabled` false prints nothing.
  ProgressBar(std::string label, bool enabled);
  // Called from the sampling thread, and once at the end with final=true.
  void Update(const harness::LoadProgress& progress, bool final = false);

 private:
  std::string label_;
  bool enabled_;
  bool terminal_;
  std::int64_t last_line_ns_ = 0;
  std::int64_t last_tokens_ = 0;
  std::int64_t last_tokens_ns_ = 0;
  double tokens_per_s_ = 0;
};

}  // namespace infermeter::cli
