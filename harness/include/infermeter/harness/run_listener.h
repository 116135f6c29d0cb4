#pragma once
// Follows a run while it runs, for exporters (the Prometheus exporter in exporter/) and anything
// else that shows a run live. A listener sees exactly what the run stores, when it is stored:
// each measured request as it goes to the results writer, each batch of samples as the sampling
// thread takes it, and the summary figures once they are stored, so a live figure can always be
// checked against the results file.
//
// Callbacks come from the run's own threads and must be quick and must not throw: the request
// callback runs on the load generator's scheduler thread, between sends.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infermeter/core/ids.h"
#include "infermeter/harness/metrics.h"
#include "infermeter/results/records.h"

namespace infermeter::harness {

// A run as it starts: what the results store was told.
struct RunStart {
  RunId run;
  const results::RunInfo* info = nullptr;  // valid during the call
  SloSettings slo;
  std::int64_t start_unix_ns = 0;
};

// A run as it ends: everything is stored by now.
struct RunEnd {
  RunId run;
  results::RunStatus status = results::RunStatus::kCompleted;
  std::optional<results::Validity> validity;                 // none when the run failed
  const std::vector<results::RunMetric>* metrics = nullptr;  // as stored; valid during the call
  std::int64_t end_unix_ns = 0;
};

class RunListener {
 public:
  virtual ~RunListener() = default;
  virtual void OnRunStarted(const RunStart& start) = 0;
  // A measured request (never a warm-up one), on the scheduler thread.
  virtual void OnRequestFinished(const results::RequestRecord& request) = 0;
  // Every sampling interval, on the sampling thread: the samples just taken (the same rows the
  // results writer gets).
  virtual void OnSampled(const std::vector<results::SampleRecord>& samples) = 0;
  virtual void OnRunFinished(const RunEnd& end) = 0;
};

}  // namespace infermeter::harness
