#pragma once
// The increase of a cumulative counter between a run's first and last scrape. Servers export
// counters since they started, so a run's share is a difference; a value lower than the previous
// one means the server restarted, and then (as Prometheus' increase() does) the new value counts
// as the increase since the restart.

#include <cstdint>
#include <optional>

namespace infermeter::collectors {

class CounterIncrease {
 public:
  // The counter's value at a scrape. Returns true when it went down (a reset).
  bool Add(double value) {
    if (!last_) {
      last_ = value;
      return false;
    }
    const bool reset = value < *last_;
    increase_ += reset ? value : value - *last_;
    if (reset) ++resets_;
    last_ = value;
    ++updates_;
    return reset;
  }

  // Empty until the counter was seen at two scrapes: one scrape gives no difference.
  std::optional<double> increase() const {
    if (updates_ == 0) return std::nullopt;
    return increase_;
  }
  std::optional<double> last() const { return last_; }
  std::int64_t resets() const { return resets_; }

 private:
  std::optional<double> last_;
  double increase_ = 0;
  std::int64_t updates_ = 0;
  std::int64_t resets_ = 0;
};

}  // namespace infermeter::collectors
