#pragma once
// The cancel flag a load looks at while it reads: a GUI that asks for another run (or closes)
// must not wait for a large read to finish.

#include <atomic>
#include <cstdint>

#include "infermeter/dashboard/run_snapshot.h"

namespace infermeter::dashboard {

class CancelCheck {
 public:
  // Rows read between looks at the flag: often enough to stop within milliseconds, rarely
  // enough to cost nothing per row.
  static constexpr std::int64_t kRowsBetweenChecks = 4096;

  explicit CancelCheck(const std::atomic<bool>* flag) : flag_(flag) {}  // flag may be null
  // Throws LoadCancelled when the flag is set.
  void Now() const {
    if (flag_ && flag_->load(std::memory_order_relaxed)) throw LoadCancelled();
  }
  // Cheap enough for every row: looks at the flag every kRowsBetweenChecks calls.
  void EveryFewRows() {
    if (++rows_ % kRowsBetweenChecks == 0) Now();
  }

 private:
  const std::atomic<bool>* flag_;
  std::int64_t rows_ = 0;
};

}  // namespace infermeter::dashboard
