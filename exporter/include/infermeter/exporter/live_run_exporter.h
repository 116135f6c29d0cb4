#pragma once
// The live metrics of the runs one process makes (`infermeter run`), for Prometheus: follows
// each run through the harness's RunListener and keeps its series in a prometheus-cpp registry
// that a MetricsEndpoint serves. docs/PROMETHEUS.md lists every series.
//
// Every series carries the run's id, and the series of a finished run stay (with its summary
// figures added), so a sweep's or a suite's runs are all there to compare until the process
// exits. What a run exports is what it stores: counters and histograms are fed the request
// records the results writer gets, gauges the samples it gets.
//
// Threads: requests arrive on the scheduler thread and samples on the sampling thread, while the
// endpoint's threads scrape. A request costs a few atomic adds and one locked update per
// histogram (ITL included: its per-token gaps are bucketed locally, then added in one call), and
// nothing on these paths allocates once a run has started, except the first error of a class.

#include <memory>

#include "infermeter/harness/run_listener.h"

namespace prometheus {
class Collectable;
}  // namespace prometheus

namespace infermeter::exporter {

class LiveRunExporter final : public harness::RunListener {
 public:
  LiveRunExporter();
  ~LiveRunExporter() override;
  LiveRunExporter(const LiveRunExporter&) = delete;
  LiveRunExporter& operator=(const LiveRunExporter&) = delete;

  // What a MetricsEndpoint serves (the registry).
  std::shared_ptr<prometheus::Collectable> collectable() const;

  void OnRunStarted(const harness::RunStart& start) override;
  void OnRequestFinished(const results::RequestRecord& request) override;
  void OnSampled(const std::vector<results::SampleRecord>& samples) override;
  void OnRunFinished(const harness::RunEnd& end) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace infermeter::exporter
