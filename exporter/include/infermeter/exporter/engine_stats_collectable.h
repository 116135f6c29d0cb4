#pragma once
// The served engine's own state for Prometheus (`infermeter serve`): read from Engine::Stats()
// at each scrape, so the figures are as fresh as the scrape and cost nothing between scrapes.
// Series are labelled with the served model's name; docs/PROMETHEUS.md ("Serving") lists them.

#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>

#include "infermeter/core/engine.h"

namespace infermeter::exporter {

class EngineStatsCollectable final : public prometheus::Collectable {
 public:
  // `engine` must outlive this object's registration with a MetricsEndpoint.
  EngineStatsCollectable(const Engine& engine, std::string model);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const Engine& engine_;
  const std::string model_;
  const bool counts_flops_;
};

}  // namespace infermeter::exporter
