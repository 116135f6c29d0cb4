#include "infermeter/dashboard/run_catalog.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "cancel_check.h"
#include "infermeter/results/hardware_summary.h"
#include "infermeter/results/sqlite.h"
#include "infermeter/results/store.h"

namespace infermeter::dashboard {

std::optional<double> CatalogRun::Metric(std::string_view name) const {
  // `metrics` is ordered by name (SQLite's BINARY collation is std::string's order), and the
  // Runs table asks for a figure per cell as it sorts: a binary search, not a scan.
  const auto it = std::lower_bound(
      metrics.begin(), metrics.end(), name,
      [](const results::RunMetric& metric, std::string_view n) { return metric.name < n; });
  if (it == metrics.end() || it->name != name) return std::nullopt;
  return it->value;
}

const std::vector<KeyFigure>& KeyFigures() {
  static const std::vector<KeyFigure> kFigures{
      {.header = "Output tok/s", .unit = "tokens/s", .metrics = {"output_tokens_per_s"}},
      {.header = "TTFT p50", .unit = "ms", .metrics = {"ttft_p50_ms"}},
      {.header = "TTFT p99", .unit = "ms", .metrics = {"ttft_p99_ms"}},
      {.header = "TPOT p50", .unit = "ms", .metrics = {"tpot_p50_ms"}},
      {.header = "TPOT p99", .unit = "ms", .metrics = {"tpot_p99_ms"}},
      {.header = "Goodput req/s", .unit = "requests/s", .metrics = {"goodput_requests_per_s"}},
      {.header = "MFU", .unit = "", .metrics = {"mfu"}},
      // The engine's own peak when it reports bytes, else the server's (scraped), else the
      // cost model's estimate: the best figure the run has.
      {.header = "Peak KV",
       .unit = "bytes",
       .metrics = {"kv_bytes_peak", "server_kv_bytes_peak", "kv_analytic_bytes_peak"}},
  };
  return kFigures;
}

std::optional<double> KeyFigureValue(const CatalogRun& run, const KeyFigure& figure) {
  for (const std::string_view name : figure.metrics) {
    if (const auto value = run.Metric(name)) return value;
  }
  return std::nullopt;
}

RunCatalog LoadRunCatalog(const std::string& db_path, const std::atomic<bool>* cancel) {
  CancelCheck check(cancel);
  check.Now();
  results::ResultsStore store = results::ResultsStore::OpenForReading(db_path);
  results::Database& db = store.database();
  // Runs and their figures from one snapshot, though a run may be finishing as we read.
  results::ReadTransaction snapshot(db);

  RunCatalog catalog;
  catalog.db_path = db_path;
  std::vector<results::RunRow> rows = store.ListRuns();
  check.Now();
  catalog.runs.reserve(rows.size());
  std::unordered_map<std::int64_t, std::size_t> index_by_id;
  index_by_id.reserve(rows.size());
  for (results::RunRow& row : rows) {
    index_by_id.emplace(row.id.value, catalog.runs.size());
    CatalogRun& run = catalog.runs.emplace_back();
    run.hardware = results::HardwareSummary(row.info.hardware_json);
    run.run = std::move(row);
  }

  // One query for every run's figures: a file with a thousand runs must not cost a thousand
  // queries. The primary key (run_id, name) gives this order without a sort.
  results::Statement metrics(db,
                             "SELECT run_id, name, value, unit FROM run_metrics "
                             "ORDER BY run_id, name");
  while (metrics.Step()) {
    check.EveryFewRows();
    const std::int64_t id = metrics.ColumnInt(0);
    const auto it = index_by_id.find(id);
    if (it == index_by_id.end()) continue;  // cannot happen in one snapshot (foreign key)
    catalog.runs[it->second].metrics.push_back({.run_id = RunId(id),
                                                .name = metrics.ColumnText(1),
                                                .value = metrics.ColumnDouble(2),
                                                .unit = metrics.ColumnText(3)});
  }
  check.Now();
  return catalog;
}

}  // namespace infermeter::dashboard
