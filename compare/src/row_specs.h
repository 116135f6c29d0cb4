#pragma once
// Which rows a comparison has and in what order: the key throughput figures, then the latency
// distributions family by family, then efficiency (normalised figures, MFU, MBU, energy, KV
// memory), then every other figure the runs stored, by name. Only rows some run has.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "infermeter/compare/comparison.h"

namespace infermeter::compare::detail {

struct RowSpec {
  std::string metric;
  std::string label;
  std::string unit;
  Section section = Section::kOther;
  std::optional<bool> higher_is_better;
  std::string base;  // the stored figure it comes from (the row's own name unless derived)
  // A normalised row's value from the base figure's value and the run; nullopt when the run
  // lacks what it divides by. Empty for stored figures.
  std::function<std::optional<double>(double, const dashboard::CatalogRun&)> derive;
  std::string missing;  // what a run without a derived value lacks: "no device count ..."
};

std::vector<RowSpec> RowSpecs(const std::vector<Subject>& subjects);

}  // namespace infermeter::compare::detail
