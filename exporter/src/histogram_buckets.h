#pragma once
// Bucket upper bounds (seconds) of the latency histograms a run exports. LLM latencies span six
// orders of magnitude (a 50 µs inter-token gap on a tiny model, a 20 minute prefill of a 1M-token
// prompt), so each histogram follows vLLM's buckets (vllm/v1/metrics/loggers.py), so that the
// same PromQL reads both, extended below for the small models infermeter also runs.

#include <vector>

namespace infermeter::exporter {

std::vector<double> TimeToFirstTokenBuckets();  // 1 ms .. 2,560 s
std::vector<double> PerTokenBuckets();          // TPOT and ITL: 0.1 ms .. 80 s
std::vector<double> RequestLatencyBuckets();    // E2E: 10 ms .. 7,680 s
std::vector<double> ScheduleLagBuckets();       // 10 µs .. 1 s: the client keeping up

}  // namespace infermeter::exporter
