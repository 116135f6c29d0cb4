#include "sample_grid.h"

#include <algorithm>

namespace infermeter::collectors {

SampleGrid::SampleGrid(std::int64_t start_ns, std::int64_t end_ns, std::int64_t bucket_ns)
    : start_ns_(start_ns), end_ns_(std::max(end_ns, start_ns + 1)), bucket_ns_(bucket_ns) {
  amounts_.assign(static_cast<std::size_t>((end_ns_ - start_ns_ + bucket_ns_ - 1) / bucket_ns_),
                  0.0);
}

std::int64_t SampleGrid::BucketOf(std::int64_t time_ns) const {
  const std::int64_t last = static_cast<std::int64_t>(amounts_.size()) - 1;
  return std::clamp<std::int64_t>((time_ns - start_ns_) / bucket_ns_, 0, last);
}

void SampleGrid::AddAt(std::int64_t time_ns, double amount) {
  amounts_[static_cast<std::size_t>(BucketOf(time_ns))] += amount;
}

void SampleGrid::AddSpread(std::int64_t from_ns, std::int64_t to_ns, double amount) {
  from_ns = std::clamp(from_ns, start_ns_, end_ns_);
  to_ns = std::clamp(to_ns, start_ns_, end_ns_);
  if (to_ns <= from_ns) {
    AddAt(from_ns, amount);
    return;
  }
  const double per_ns = amount / static_cast<double>(to_ns - from_ns);
  for (std::int64_t b = BucketOf(from_ns); b <= BucketOf(to_ns - 1); ++b) {
    const std::int64_t lo = std::max(from_ns, start_ns_ + b * bucket_ns_);
    const std::int64_t hi = std::min(to_ns, start_ns_ + (b + 1) * bucket_ns_);
    if (hi > lo) amounts_[static_cast<std::size_t>(b)] += per_ns * static_cast<double>(hi - lo);
  }
}

void SampleGrid::AppendRates(RunId run, const std::string& source, const std::string& metric,
                             std::vector<results::SampleRecord>& out) const {
  for (std::size_t b = 0; b < amounts_.size(); ++b) {
    const std::int64_t from = start_ns_ + static_cast<std::int64_t>(b) * bucket_ns_;
    const std::int64_t to = std::min(end_ns_, from + bucket_ns_);
    out.push_back({.run_id = run,
                   .time_ns = from,
                   .source = source,
                   .metric = metric,
                   .labels_json = "{}",
                   .value = amounts_[b] / (static_cast<double>(to - from) * 1e-9)});
  }
}

}  // namespace infermeter::collectors
