#pragma once
// `infermeter compare`: runs (or repeat groups) side by side, one column each, a row for every
// summary figure they stored plus normalised figures (per device, per peak FLOP/s, per peak
// memory bandwidth, per watt, per dollar), each with a bootstrap confidence interval and a ratio
// to the baseline whose own interval says whether the difference is significant.
// Runs that are not like for like (workload, model or SLOs differ) are refused unless forced.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/compare/resampling.h"
#include "infermeter/compare/run_resamples.h"
#include "infermeter/compare/subject.h"
#include "infermeter/core/error.h"

namespace infermeter::compare {

struct CompareSettings {
  std::size_t baseline = 0;          // index into the subjects
  std::vector<std::string> metrics;  // names or globs ("ttft_*"); empty: every figure
  double confidence = 0.95;
  int resamples = 1000;  // 0: no intervals
  std::uint64_t seed = 1;
  bool force = false;  // compare runs that are not like for like (the differences become warnings)
};

enum class Section { kThroughput, kLatency, kEfficiency, kOther };
std::string_view ToString(Section section);  // "Throughput", "Latency", ...

struct Cell {
  std::optional<double> value;  // a run's stored figure; a group's mean over its runs
  std::optional<Interval> interval;
  std::optional<double> ratio;  // value / the baseline's value
  std::optional<Interval> ratio_interval;
  // Whether the ratio's interval excludes 1; nullopt for the baseline or without an interval.
  std::optional<bool> significant;
  std::optional<double> cv;  // repeat groups: stddev / mean over the runs
  std::size_t runs = 0;      // runs the value comes from
};

struct Row {
  std::string
      metric;  // run_metrics name, or a normalised figure's ("output_tokens_per_s_per_device")
  std::string label;  // "TTFT p99", "Output tokens/s per device"
  std::string unit;   // as stored: "ms", "tokens/s", "" (ratio)
  Section section = Section::kOther;
  std::optional<bool> higher_is_better;  // nullopt: neither (counts, settings)
  // How each column's interval was drawn; nullopt where a column has none.
  std::vector<std::optional<ResampleMethod>> methods;
  std::vector<Cell> cells;  // one per subject
};

struct ComparisonTable {
  std::vector<std::string> subjects;  // column labels
  std::size_t baseline = 0;
  double confidence = 0.95;
  int resamples = 0;
  std::uint64_t seed = 0;
  std::vector<Row> rows;
  // What the reader must know: runs not completed or INVALID, a normalisation some run lacks,
  // and (when forced) why the runs are not like for like.
  std::vector<std::string> warnings;
  std::vector<std::string> differences;  // not like for like: workload, model or SLOs differ
};

// Thrown when the runs are not like for like and the comparison was not forced.
class NotLikeForLike : public Error {
 public:
  explicit NotLikeForLike(std::vector<std::string> differences);
  const std::vector<std::string>& differences() const { return differences_; }

 private:
  std::vector<std::string> differences_;
};

// How each run differs from the baseline's first run in what makes a comparison fair: the
// workload (content hash; the name when a run has no hash), the model and the SLOs.
std::vector<std::string> LikeForLikeDifferences(const std::vector<Subject>& subjects,
                                                std::size_t baseline);

// Compares `subjects` (read from the results file at `db_path`; single runs' requests are read
// again for their intervals). Throws InputError for a baseline out of range or a --metrics
// pattern that matches nothing, and NotLikeForLike (unless settings.force).
ComparisonTable Compare(const std::string& db_path, const std::vector<Subject>& subjects,
                        const CompareSettings& settings);

}  // namespace infermeter::compare
