#include "infermeter/compare/comparison.h"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "infermeter/dashboard/comparison.h"
#include "infermeter/harness/repeat_spread.h"
#include "infermeter/results/store.h"
#include "row_specs.h"

namespace infermeter::compare {
namespace {

using detail::Normaliser;
using detail::RowSpec;

// A figure of one column: its value and, when it has one, its bootstrap distribution.
struct Estimate {
  std::optional<double> value;
  std::vector<double> resamples;
  std::optional<ResampleMethod> method;
  std::optional<double> cv;
  std::size_t runs = 0;
};

// FNV-1a, 64 bit: a workload hash as a seed, the same on every platform (std::hash is not).
std::uint64_t Fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// The SLOs a run's goodput was judged against, from its stored slo_*_ms figures.
harness::SloSettings StoredSlo(const dashboard::CatalogRun& run) {
  return {.ttft_ms = run.Metric("slo_ttft_ms"),
          .tpot_ms = run.Metric("slo_tpot_ms"),
          .itl_ms = run.Metric("slo_itl_ms"),
          .e2e_ms = run.Metric("slo_e2e_ms")};
}

std::string SloText(const harness::SloSettings& slo) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : {std::pair{"ttft", slo.ttft_ms},
                                    {"tpot", slo.tpot_ms},
                                    {"itl", slo.itl_ms},
                                    {"e2e", slo.e2e_ms}}) {
    if (value) parts.push_back(fmt::format("{}={}", name, *value));
  }
  return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ","));
}

std::string RunName(const dashboard::CatalogRun& run) {
  return run.run.info.name.empty()
             ? fmt::format("run {}", run.run.id.value)
             : fmt::format("run {} ({})", run.run.id.value, run.run.info.name);
}

bool Selected(const RowSpec& row, const std::vector<std::string>& patterns) {
  if (patterns.empty()) return true;
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
    return fnmatch(pattern.c_str(), row.metric.c_str(), 0) == 0;
  });
}

void CheckPatterns(const std::vector<RowSpec>& rows, const std::vector<std::string>& patterns) {
  for (const std::string& pattern : patterns) {
    const bool matched = std::any_of(rows.begin(), rows.end(), [&](const RowSpec& row) {
      return fnmatch(pattern.c_str(), row.metric.c_str(), 0) == 0;
    });
    if (!matched) {
      throw InputError(
          {.source = "<command line>", .field = "--metrics"},
          fmt::format("'{}' matches no figure of these runs; names are run_metrics names such as "
                      "output_tokens_per_s, ttft_p99_ms or output_tokens_per_s_per_device, and "
                      "globs work (ttft_*)",
                      pattern));
    }
  }
}

// Bootstrap over a repeat group's runs: the mean of a resample of its per-run values.
std::vector<double> ResampleMeans(const std::vector<double>& values,
                                  const CompareSettings& settings, std::uint64_t stream) {
  std::vector<double> means;
  if (values.size() < 2) return means;
  Rng rng(settings.seed ^ (stream * 0x9e3779b97f4a7c15ULL));
  means.reserve(static_cast<std::size_t>(settings.resamples));
  for (int b = 0; b < settings.resamples; ++b) {
    double sum = 0;
    for (std::size_t i = 0; i < values.size(); ++i) sum += values[rng.Below(values.size())];
    means.push_back(sum / static_cast<double>(values.size()));
  }
  return means;
}

// The row's figure for `run`: stored, or normalised from its base figure.
std::optional<double> RunValue(const RowSpec& row, const dashboard::CatalogRun& run) {
  const std::optional<double> base = run.Metric(row.base);
  if (!base || !row.normaliser) return base;
  const std::optional<Normaliser> normalise = row.normaliser(run);
  if (!normalise) return std::nullopt;
  return (*normalise)(*base);
}

Estimate EstimateOfGroup(const RowSpec& row, const Subject& subject,
                         const CompareSettings& settings, std::uint64_t stream) {
  std::vector<double> values;
  for (const dashboard::CatalogRun& run : subject.runs) {
    if (const auto value = RunValue(row, run)) values.push_back(*value);
  }
  Estimate estimate;
  if (values.empty()) return estimate;
  const harness::FigureSpread spread = harness::SpreadOf(values);
  estimate.value = spread.mean;
  estimate.cv = spread.cv;
  estimate.runs = values.size();
  estimate.resamples = ResampleMeans(values, settings, stream);
  if (!estimate.resamples.empty()) estimate.method = ResampleMethod::kRuns;
  return estimate;
}

Estimate EstimateOfRun(const RowSpec& row, const dashboard::CatalogRun& run,
                       const RunResamples* resamples) {
  Estimate estimate;
  const std::optional<double> base = run.Metric(row.base);
  // What the run's hardware, labels or price make of the base figure: looked up once.
  const std::optional<Normaliser> normalise =
      row.normaliser ? row.normaliser(run) : std::optional<Normaliser>(Normaliser{});
  if (!base || !normalise) return estimate;
  estimate.value = (*normalise)(*base);
  if (!estimate.value) return estimate;
  estimate.runs = 1;
  if (!resamples) return estimate;
  const auto figure = resamples->find(row.base);
  if (figure == resamples->end() || figure->second.values.empty()) return estimate;
  for (const double value : figure->second.values) {
    if (const std::optional<double> normalised = (*normalise)(value)) {
      estimate.resamples.push_back(*normalised);
    }
  }
  estimate.method = figure->second.method;
  return estimate;
}

Cell CellOf(const Estimate& estimate, const Estimate& baseline, bool is_baseline,
            double confidence) {
  Cell cell{.value = estimate.value, .cv = estimate.cv, .runs = estimate.runs};
  std::vector<double> resamples = estimate.resamples;
  cell.interval = PercentileInterval(resamples, confidence);
  if (is_baseline || !estimate.value || !baseline.value || *baseline.value == 0) return cell;
  cell.ratio = *estimate.value / *baseline.value;
  // Resample b of this column over resample b of the baseline's: the ratio's distribution
  // (independent draws, or the same requests for one workload: run_resamples.h).
  std::vector<double> ratios;
  const std::size_t n = std::min(estimate.resamples.size(), baseline.resamples.size());
  for (std::size_t b = 0; b < n; ++b) {
    if (baseline.resamples[b] != 0) ratios.push_back(estimate.resamples[b] / baseline.resamples[b]);
  }
  cell.ratio_interval = PercentileInterval(ratios, confidence);
  if (cell.ratio_interval) {
    cell.significant = cell.ratio_interval->low > 1 || cell.ratio_interval->high < 1;
  }
  return cell;
}

// Which stored figures a single run's requests can give an interval.
bool Resampled(const std::string& metric) {
  static const std::vector<std::string> kPatterns{"*_tokens_per_s",  "request_throughput_per_s",
                                                  "goodput_*_per_s", "good_fraction",
                                                  "*_p50_ms",        "*_p90_ms",
                                                  "*_p95_ms",        "*_p99_ms",
                                                  "*_mean_ms"};
  return std::any_of(kPatterns.begin(), kPatterns.end(), [&](const std::string& pattern) {
    return fnmatch(pattern.c_str(), metric.c_str(), 0) == 0;
  });
}

void AddOutcomeWarnings(const std::vector<Subject>& subjects, std::vector<std::string>& warnings) {
  for (const Subject& subject : subjects) {
    for (const dashboard::CatalogRun& run : subject.runs) {
      for (std::string& warning : dashboard::OutcomeWarnings(run)) {
        warnings.push_back(std::move(warning));
      }
    }
  }
}

}  // namespace

std::string_view ToString(Section section) {
  switch (section) {
    case Section::kThroughput:
      return "Throughput";
    case Section::kLatency:
      return "Latency";
    case Section::kEfficiency:
      return "Efficiency";
    case Section::kOther:
      return "Other figures";
  }
  return "Other figures";
}

NotLikeForLike::NotLikeForLike(std::vector<std::string> differences)
    : Error(fmt::format("the runs are not like for like:\n  {}\nCompare runs of the same "
                        "workload, model and SLOs, or pass --force to compare them anyway",
                        fmt::join(differences, "\n  "))),
      differences_(std::move(differences)) {}

std::vector<std::string> LikeForLikeDifferences(const std::vector<Subject>& subjects,
                                                std::size_t baseline) {
  std::vector<std::string> differences;
  const dashboard::CatalogRun& base = subjects.at(baseline).first();
  const results::RunInfo& b = base.run.info;
  const std::string base_slo = SloText(StoredSlo(base));
  for (const Subject& subject : subjects) {
    for (const dashboard::CatalogRun& run : subject.runs) {
      if (&run == &base) continue;
      const results::RunInfo& info = run.run.info;
      const bool by_hash = !info.workload_hash.empty() && !b.workload_hash.empty();
      if (by_hash ? info.workload_hash != b.workload_hash : info.workload_name != b.workload_name) {
        differences.push_back(fmt::format(
            "workload: {} ran '{}' (hash {}), the baseline {} ran '{}' (hash {})", RunName(run),
            info.workload_name, info.workload_hash.empty() ? "none" : info.workload_hash,
            RunName(base), b.workload_name, b.workload_hash.empty() ? "none" : b.workload_hash));
      }
      if (info.model != b.model) {
        differences.push_back(fmt::format("model: {} ran '{}', the baseline {} ran '{}'",
                                          RunName(run), info.model, RunName(base), b.model));
      }
      // A run without figures yet (still running, or failed before its summary) has stored no
      // SLOs: unknown, not different. It is named in a warning as not completed.
      const bool slo_known = !run.metrics.empty() && !base.metrics.empty();
      const std::string slo = SloText(StoredSlo(run));
      if (slo_known && slo != base_slo) {
        differences.push_back(
            fmt::format("SLOs: {} was judged against {}, the baseline {} "
                        "against {}",
                        RunName(run), slo, RunName(base), base_slo));
      }
    }
  }
  return differences;
}

ComparisonTable Compare(const std::string& db_path, const std::vector<Subject>& subjects,
                        const CompareSettings& settings) {
  if (subjects.empty()) {
    throw InputError({.source = "<command line>", .field = "RUN"}, "name at least one run");
  }
  if (settings.baseline >= subjects.size()) {
    throw InputError(
        {.source = "<command line>", .field = "--baseline"},
        fmt::format("the baseline must be one of the {} runs compared", subjects.size()));
  }
  ComparisonTable table{.subjects = {},
                        .baseline = settings.baseline,
                        .confidence = settings.confidence,
                        .resamples = settings.resamples,
                        .seed = settings.seed,
                        .rows = {},
                        .warnings = {},
                        .differences = LikeForLikeDifferences(subjects, settings.baseline)};
  if (!table.differences.empty() && !settings.force) throw NotLikeForLike(table.differences);
  for (const Subject& subject : subjects) table.subjects.push_back(subject.label);
  for (const std::string& difference : table.differences) {
    table.warnings.push_back(fmt::format("not like for like (forced): {}", difference));
  }
  AddOutcomeWarnings(subjects, table.warnings);

  std::vector<RowSpec> specs = detail::RowSpecs(subjects);
  CheckPatterns(specs, settings.metrics);
  std::erase_if(specs, [&](const RowSpec& row) { return !Selected(row, settings.metrics); });

  // A single run's intervals come from its requests: read them only when a row needs them.
  const bool need_requests =
      settings.resamples > 0 &&
      std::any_of(specs.begin(), specs.end(), [](const RowSpec& r) { return Resampled(r.base); });
  std::vector<std::unique_ptr<RunResamples>> resamples(subjects.size());
  if (need_requests) {
    results::ResultsStore store = results::ResultsStore::OpenForReading(db_path);
    for (std::size_t i = 0; i < subjects.size(); ++i) {
      if (subjects[i].repeated()) continue;
      const dashboard::CatalogRun& run = subjects[i].first();
      // Seeded by what the run is, not by its column, so a run's intervals do not change with
      // the order runs are named in or the baseline: requests by the workload (runs of one
      // workload draw the same requests, paired: run_resamples.h; a run without a hash by its
      // id), time blocks by the run.
      const auto id = static_cast<std::uint64_t>(run.run.id.value);
      const std::string& workload = run.run.info.workload_hash;
      const ResampleSettings resample{
          .resamples = settings.resamples,
          .seed = settings.seed ^ (workload.empty() ? 0x632be59bd9b4e019ULL * id : Fnv1a(workload)),
          .time_block_seed = settings.seed + 0x9e3779b97f4a7c15ULL * id};
      resamples[i] = std::make_unique<RunResamples>(
          ResampleRun(store.LoadRequests(run.run.id), StoredSlo(run), resample));
    }
  }

  std::map<std::string, std::vector<std::string>> missing;  // row label -> runs lacking it
  for (std::size_t r = 0; r < specs.size(); ++r) {
    const RowSpec& spec = specs[r];
    std::vector<Estimate> estimates;
    for (std::size_t i = 0; i < subjects.size(); ++i) {
      const Subject& subject = subjects[i];
      if (subject.repeated()) {
        estimates.push_back(settings.resamples > 0
                                ? EstimateOfGroup(spec, subject, settings, r * 1000 + i + 1)
                                : EstimateOfGroup(spec, subject, {.resamples = 0}, 0));
      } else {
        estimates.push_back(EstimateOfRun(spec, subject.first(), resamples[i].get()));
      }
    }
    // A figure no column has (a normalisation none of the runs can make) is not a row. Why is
    // worth a warning where some run has it, or where --metrics asked for it by name.
    const bool none = std::none_of(estimates.begin(), estimates.end(),
                                   [](const Estimate& e) { return e.value.has_value(); });
    for (std::size_t i = 0; i < estimates.size(); ++i) {
      if (spec.normaliser && !estimates[i].value && subjects[i].first().Metric(spec.base) &&
          (!none || !settings.metrics.empty())) {
        missing[fmt::format("{}: {}", spec.label, spec.missing)].push_back(subjects[i].label);
      }
    }
    if (none) continue;
    Row row{.metric = spec.metric,
            .label = spec.label,
            .unit = spec.unit,
            .section = spec.section,
            .higher_is_better = spec.higher_is_better,
            .methods = {},
            .cells = {}};
    for (std::size_t i = 0; i < estimates.size(); ++i) {
      row.cells.push_back(CellOf(estimates[i], estimates[settings.baseline], i == settings.baseline,
                                 settings.confidence));
      row.methods.push_back(row.cells.back().interval ? estimates[i].method : std::nullopt);
    }
    table.rows.push_back(std::move(row));
  }
  for (const auto& [what, labels] : missing) {
    table.warnings.push_back(fmt::format("{} has no {}", fmt::join(labels, ", "), what));
  }
  if (table.rows.empty() && !settings.metrics.empty()) {
    throw InputError({.source = "<command line>", .field = "--metrics"},
                     fmt::format("'{}' selects only figures none of these runs has{}{}",
                                 fmt::join(settings.metrics, ","), missing.empty() ? "" : ": ",
                                 fmt::join(table.warnings, "; ")));
  }
  return table;
}

}  // namespace infermeter::compare
