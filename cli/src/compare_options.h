#pragma once
// What `infermeter compare` and `infermeter report` share: which runs, the baseline, the figures,
// the bootstrap and --force; and turning them into a comparison.

#include <optional>
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

// As ResolveComparison, but runs that are not like for like are a check that found problems,
// not a failure: the differences go to stderr and the result is empty (the command then exits
// with kNotLikeForLikeExit, as `db check` exits 3 on problems).
inline constexpr int kNotLikeForLikeExit = 3;
std::optional<ResolvedComparison> ResolveOrRefuse(const CompareOptions& options);

}  // namespace infermeter::cli
