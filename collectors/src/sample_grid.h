#pragma once
// Fixed-width time buckets from a start time, for rate series derived from stored requests
// (FLOP/s per second of the run). An amount can land at one instant or be spread evenly over
// an interval (a prefill's FLOPs over the time it took).

#include <cstdint>
#include <string>
#include <vector>

#include "infermeter/results/records.h"

namespace infermeter::collectors {

class SampleGrid {
 public:
  SampleGrid(std::int64_t start_ns, std::int64_t end_ns, std::int64_t bucket_ns);

  void AddAt(std::int64_t time_ns, double amount);
  // Spreads `amount` over [from_ns, to_ns] in proportion to the overlap with each bucket.
  void AddSpread(std::int64_t from_ns, std::int64_t to_ns, double amount);

  // One sample per bucket: the amount divided by the bucket's length in seconds, stamped at the
  // bucket's start. The last bucket is divided by its real (possibly shorter) length.
  void AppendRates(RunId run, const std::string& source, const std::string& metric,
                   std::vector<results::SampleRecord>& out) const;

  const std::vector<double>& amounts() const { return amounts_; }

 private:
  std::int64_t BucketOf(std::int64_t time_ns) const;

  std::int64_t start_ns_;
  std::int64_t end_ns_;
  std::int64_t bucket_ns_;
  std::vector<double> amounts_;
};

}  // namespace infermeter::collectors
