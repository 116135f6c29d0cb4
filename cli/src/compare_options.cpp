#include "compare_options.h"

#include <iostream>

#include <fmt/format.h>

#include "db_path.h"
#include "infermeter/core/error.h"

namespace infermeter::cli {

void AddCompareOptions(CLI::App& command, CompareOptions& options) {
  AddDbOption(command, &options.db_path);
  command
      .add_option("RUN", options.subjects,
                  "runs by id (3), or repeat groups (group:2) made by `infermeter run --repeat N`")
      ->required();
  command.add_option("--baseline", options.baseline,
                     "the run (or group:N) the others are divided by (default: the first)");
  command
      .add_option("--metrics", options.metrics,
                  "figures to show, by run_metrics name or glob (ttft_*,output_tokens_per_s); "
                  "default: every figure")
      ->delimiter(',');
  command
      .add_option("--bootstrap", options.settings.resamples,
                  "bootstrap resamples per interval (0: no intervals)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  command.add_option("--confidence", options.settings.confidence, "confidence of the intervals")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 0.999));
  command.add_option("--seed", options.settings.seed, "seed of the bootstrap")
      ->capture_default_str();
  command.add_flag("--force", options.settings.force,
                   "compare runs whose workload, model or SLOs differ (the differences are "
                   "listed as warnings)");
}

ResolvedComparison ResolveComparison(const CompareOptions& options) {
  std::vector<compare::SubjectRef> refs;
  for (const std::string& text : options.subjects) {
    refs.push_back(compare::ParseSubjectRef(text, "RUN"));
  }
  compare::CompareSettings settings = options.settings;
  settings.metrics = options.metrics;
  if (!options.baseline.empty()) {
    const compare::SubjectRef baseline = compare::ParseSubjectRef(options.baseline, "--baseline");
    settings.baseline = refs.size();
    for (std::size_t i = 0; i < refs.size(); ++i) {
      if (refs[i].kind == baseline.kind && refs[i].id == baseline.id) settings.baseline = i;
    }
    if (settings.baseline == refs.size()) {
      throw InputError({.source = "<command line>", .field = "--baseline"},
                       fmt::format("'{}' is not one of the runs compared ({})", options.baseline,
                                   fmt::join(options.subjects, ", ")));
    }
  }
  ResolvedComparison resolved{.subjects = compare::LoadSubjects(options.db_path, refs),
                              .table = {}};
  resolved.table = compare::Compare(options.db_path, resolved.subjects, settings);
  return resolved;
}

std::optional<ResolvedComparison> ResolveOrRefuse(const CompareOptions& options) {
  try {
    return ResolveComparison(options);
  } catch (const compare::NotLikeForLike& e) {
    std::cerr << "infermeter: " << e.what() << '\n';
    return std::nullopt;
  }
}

}  // namespace infermeter::cli
