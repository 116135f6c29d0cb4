#pragma once
// What `infermeter compare` and `infermeter report` share: which runs, the baseline, the figures,
// the bootstrap and --force; and turning them into a comparison.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "infermeter/compare/comparison.h"

namespace infermeter::cli {

struct CompareOptions {
  std::string db_path;
  std::vector<std::string> subjects;  // "3", "group:2"
  std::string baseline;               // one of `subjects`; "" = the first
  std::vector<std::string> metrics;
  compare::CompareSettings settings;
};

void AddCompareOptions(CLI::App& command, CompareOptions& options);

// The comparison the options ask for, with the subjects it compares. Throws as compare::Compare.
struct ResolvedComparison {
  std::vector<compare::Subject> subjects;
  compare::ComparisonTable table;
};
ResolvedComparison ResolveComparison(const CompareOptions& options);

}  // namespace infermeter::cli
