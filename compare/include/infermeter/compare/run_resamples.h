#pragma once
// One run's bootstrap distributions, computed from its stored requests with the harness's own
// definitions (harness/metrics.h), so they vary around the figures the run stored:
//   - latency figures (TTFT, TPOT, ITL, E2E, ... p50/p90/p95/p99/mean) and the good fraction:
//     the run's requests resampled with replacement;
//   - rates (tokens/s, requests/s, goodput): the run's 1 s buckets resampled in moving blocks.
//     Resampling requests cannot give a rate an interval: with fixed output lengths every
//     resample has the same tokens and the interval would have no width. What varies is how
//     fast those tokens came, second by second.
// docs/COMPARE.md explains the choice and its limits (one run says nothing of run-to-run noise:
// `infermeter run --repeat N` measures that).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "infermeter/harness/metrics.h"
#include "infermeter/results/records.h"

namespace infermeter::compare {

struct ResampleSettings {
  int resamples = 1000;
  // Seeds the draws of requests. Runs of one workload (the same requests in the same order)
  // given the same seed draw the same requests in each resample: a paired bootstrap, as for two
  // systems scored on one test set, so a ratio's interval reflects the systems rather than which
  // requests happened to be drawn.
  std::uint64_t seed = 1;
  // Seeds the draws of 1 s blocks. Seconds of two runs do not correspond (one run is slower), so
  // each run should get its own: compare::Compare derives one per subject.
  std::uint64_t time_block_seed = 2;
  // A long run pools millions of inter-token gaps, and each resample scans a band of them (about
  // 8%, run_resamples.cpp): above this many gap-resamples the pooled ITL figures get fewer
  // resamples (never fewer than 200). 2e10 is 20M gaps at 1000 resamples.
  double max_itl_work = 2e10;
  // Fewer buckets than this give a rate no interval (a blocks bootstrap of a 5 s run is noise).
  std::size_t min_rate_buckets = 10;
};

// How a figure's resamples were drawn.
enum class ResampleMethod { kRequests, kTimeBlocks, kRuns };
std::string_view ToString(ResampleMethod method);  // "requests", "time blocks", "runs"

struct FigureResamples {
  ResampleMethod method = ResampleMethod::kRequests;
  double recomputed = 0;       // the figure on the run's own requests (equals the stored one)
  std::vector<double> values;  // one per resample
};

// run_metrics name ("ttft_p99_ms", "output_tokens_per_s") -> its resamples. A figure whose
// sample is empty (no completed request has a TPOT) is absent.
using RunResamples = std::map<std::string, FigureResamples>;

// `slo` is what the run's goodput was judged against (its stored slo_*_ms figures).
RunResamples ResampleRun(const std::vector<results::RequestRecord>& requests,
                         const harness::SloSettings& slo, const ResampleSettings& settings);

}  // namespace infermeter::compare
