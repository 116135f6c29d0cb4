#pragma once
// What a stored request cost under the analytic cost model (models/): its FLOPs from its actual
// prompt, cached and output tokens, the cache bytes its decode steps read, and where in time
// that work happened. Used when an engine does not count FLOPs itself, and as the cross-check
// when it does.

#include <cstdint>

#include "infermeter/models/architecture.h"
#include "infermeter/models/decode_traffic.h"
#include "infermeter/models/flops.h"
#include "infermeter/models/kv_cache.h"
#include "infermeter/results/records.h"
#include "sample_grid.h"

namespace infermeter::collectors {

// The model a run serves, as the cost model sees it.
struct CostModel {
  models::FlopsCalculator flops;  // holds the architecture
  models::CacheFormat cache;
  models::WeightFormat weights;
};

struct RequestCost {
  models::FlopsByClass flops;
  double kv_read_bytes = 0;       // cache entries and indexer keys its decode steps read
  std::int64_t decode_steps = 0;  // output tokens fed back through the model (output - 1)
};

// models::RequestFlops on the record's tokens. A cached count of the whole prompt is taken as
// prompt - 1 (an engine always computes the last prompt token to get the first output).
RequestCost AnalyticRequestCost(const CostModel& model, const results::RequestRecord& request);

// Adds the request's FLOPs to `grid` where they happened: the prefill spread evenly from the
// send to the first token, each later token's decode step at the arrival of its chunk.
void AddRequestFlops(const CostModel& model, const results::RequestRecord& request,
                     SampleGrid& grid);

}  // namespace infermeter::collectors
