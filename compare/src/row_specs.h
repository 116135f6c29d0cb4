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

// A normalised figure from its base figure v: v * factor, or factor / v (a price per token from
// a rate); nullopt for a reciprocal of v <= 0.
struct Normaliser {
  double factor = 1;
  bool reciprocal = false;
  std::optional<double> operator()(double value) const {
    if (!reciprocal) return value * factor;
    if (value <= 0) return std::nullopt;
    return factor / value;
  }
};

struct RowSpec {
  std::string metric;
  std::string label;
  std::string unit;
  Section section = Section::kOther;
  std::optional<bool> higher_is_better;
  std::string base;  // the stored figure it comes from (the row's own name unless derived)
  // A normalised row: what turns the base figure into it for one run, nullopt when the run lacks
  // what it divides by. Empty for stored figures. Looked up once per run and applied to the
  // value and to each of its resamples.
  std::function<std::optional<Normaliser>(const dashboard::CatalogRun&)> normaliser;
  std::string missing;  // what a run without a derived value lacks: "no device count ..."
};

std::vector<RowSpec> RowSpecs(const std::vector<Subject>& subjects);

}  // namespace infermeter::compare::detail
