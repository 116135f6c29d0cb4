#pragma once
// Looks a summary figure up by name in a run's metrics: nullopt when the run has none (a figure
// a collector could not know is absent, not zero).

#include <optional>
#include <string>
#include <vector>

#include "infermeter/results/records.h"

namespace infermeter::testing {

inline std::optional<double> FindMetric(const std::vector<results::RunMetric>& metrics,
                                        const std::string& name) {
  for (const auto& m : metrics) {
    if (m.name == name) return m.value;
  }
  return std::nullopt;
}

}  // namespace infermeter::testing
