#pragma once
// A small results file for `infermeter compare`'s tests, written through the real results API
// (ResultsStore, ResultsWriter) with the figures the harness computes from the same requests
// (harness::SummarizeRun, ToRunMetrics), as `infermeter run` stores them. Deterministic and fast
// enough for the sanitizer build: a few hundred requests per run.

#include <cstdint>
#include <string>
#include <vector>

#include "infermeter/core/ids.h"
#include "infermeter/harness/metrics.h"
#include "infermeter/results/records.h"

namespace infermeter::testing {

// How a generated run behaves: its requests are the same workload whatever the scales (same
// input and output lengths for the same `workload_seed`); `noise_seed` changes the timings.
struct RunShape {
  int requests = 240;
  std::uint64_t workload_seed = 1;
  std::uint64_t noise_seed = 1;
  double ttft_scale = 1;
  double tpot_scale = 1;
  std::int64_t spacing_ns = 100'000'000;  // between sends: 240 requests take about 24 s
};

// Requests with varied shapes: multi-token chunks, a zero-token role chunk, usage counting more
// tokens than the chunks carried, one-token outputs (no TPOT), failures and a cancellation.
std::vector<results::RequestRecord> MakeRequests(const RunShape& shape);

// The SLOs the like-for-like runs are judged against.
harness::SloSettings DefaultSlo();

struct CompareFixture {
  std::string db_path;
  // Every run is on a host with two GPUs.
  RunId fast;  // baseline: hash kWorkloadHash, model "m1", DefaultSlo(), price_per_hour=10
  RunId slow;  // same workload, 2x TTFT, 1.5x TPOT; INVALID ("schedule lag too high"); price 20
  RunId other_workload;           // another workload hash
  RunId other_model;              // model "m2"
  RunId other_slo;                // slo ttft=80
  RunId by_name_same;             // no hash, workload name "chat": compared with `fast` by name
  RunId by_name_other;            // no hash, workload name "chat-2"
  RunId unfinished;               // same workload, status interrupted
  RunId twin;                     // the very same requests and times as `fast`
  RunId twin_elsewhere;           // the same again, recorded under another workload hash
  std::int64_t repeat_group = 0;  // kRepeat: three runs of the same workload
  std::vector<RunId> repeats;
  std::int64_t sweep_group = 0;         // kSweep, one run
  std::int64_t empty_repeat_group = 0;  // kRepeat without runs
};

inline constexpr char kWorkloadHash[] = "00000000000000aa";

// Writes the fixture into a fresh file `db_path`.
CompareFixture WriteCompareFixture(const std::string& db_path);

}  // namespace infermeter::testing
