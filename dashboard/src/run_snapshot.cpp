#include "infermeter/dashboard/run_snapshot.h"

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "cancel_check.h"
#include "infermeter/results/chunk_codec.h"
#include "infermeter/results/store.h"

namespace infermeter::dashboard {
namespace {

constexpr double kNsPerMs = 1e6;
constexpr double kNsPerS = 1e9;

// What one row of `requests` gives the snapshot.
struct RequestRow {
  std::int64_t request_id = 0;
  std::optional<std::int64_t> sent_ns, first_token_ns, last_token_ns, done_ns;
  std::int64_t input_tokens = 0, output_tokens = 0;
  results::RequestStatus status = results::RequestStatus::kOk;
  std::string error_class;
  std::optional<std::string> session_id;
  std::optional<std::int32_t> turn_index;
};

std::vector<RequestRow> LoadRequestRows(results::Database& db, RunId run, CancelCheck& cancel) {
  results::Statement s(db,
                       "SELECT request_id, sent_ns, first_token_ns, last_token_ns, done_ns, "
                       "input_tokens, output_tokens, status, error_class, session_id, turn_index "
                       "FROM requests WHERE run_id = ? ORDER BY request_id");
  s.Bind(1, run.value);
  std::vector<RequestRow> rows;
  while (s.Step()) {
    cancel.EveryFewRows();
    RequestRow r;
    r.request_id = s.ColumnInt(0);
    r.sent_ns = s.ColumnOptionalInt(1);
    r.first_token_ns = s.ColumnOptionalInt(2);
    r.last_token_ns = s.ColumnOptionalInt(3);
    r.done_ns = s.ColumnOptionalInt(4);
    r.input_tokens = s.ColumnInt(5);
    r.output_tokens = s.ColumnInt(6);
    r.status = results::ParseRequestStatus(s.ColumnText(7));
    if (!s.IsNull(8)) r.error_class = s.ColumnText(8);
    if (!s.IsNull(9)) r.session_id = s.ColumnText(9);
    if (const auto turn = s.ColumnOptionalInt(10)) r.turn_index = static_cast<std::int32_t>(*turn);
    rows.push_back(std::move(r));
  }
  return rows;
}

// Sorts `values_ms`.
LatencyCdf MakeLatencyCdf(std::vector<double>& values_ms, const SnapshotSettings& settings,
                          bool sampled) {
  LatencyCdf cdf;
  cdf.points = CdfPoints(values_ms, settings.cdf_points);
  cdf.histogram = HistogramOf(values_ms, settings.histogram_bins);
  cdf.count = static_cast<std::int64_t>(values_ms.size());
  cdf.sampled = sampled;
  return cdf;
}

// TTFT, TPOT and E2E from the request columns, as harness/metrics.h defines them for completed
// requests; the input length vs TTFT scatter; errors by class.
void AddRequestFigures(const std::vector<RequestRow>& rows, const SnapshotSettings& settings,
                       RunSnapshot& snapshot) {
  std::vector<double> ttft, tpot, e2e;
  std::vector<Point> scatter;
  for (const RequestRow& r : rows) {
    if (r.status == results::RequestStatus::kError) {
      ++snapshot.errors_by_class[r.error_class.empty() ? "unknown" : r.error_class];
    }
    if (r.status != results::RequestStatus::kOk || !r.sent_ns) continue;
    if (r.first_token_ns) {
      const double ms = static_cast<double>(*r.first_token_ns - *r.sent_ns) / kNsPerMs;
      ttft.push_back(ms);
      scatter.push_back({.x = static_cast<double>(r.input_tokens), .y = ms});
    }
    const std::optional<std::int64_t> end = r.last_token_ns ? r.last_token_ns : r.done_ns;
    if (end) e2e.push_back(static_cast<double>(*end - *r.sent_ns) / kNsPerMs);
    if (r.output_tokens >= 2 && r.first_token_ns && r.last_token_ns) {
      tpot.push_back(static_cast<double>(*r.last_token_ns - *r.first_token_ns) / kNsPerMs /
                     static_cast<double>(r.output_tokens - 1));
    }
  }
  snapshot.ttft = MakeLatencyCdf(ttft, settings, /*sampled=*/false);
  snapshot.tpot = MakeLatencyCdf(tpot, settings, /*sampled=*/false);
  snapshot.e2e = MakeLatencyCdf(e2e, settings, /*sampled=*/false);
  snapshot.input_tokens_vs_ttft_ms = EvenSubset(scatter, settings.scatter_points);
}

// Per-token gaps (token-weighted, as the stored ITL) of completed requests: every request's
// chunks when there are few, else those of an even subset, which the CDF says it is.
void AddInterTokenCdf(results::Database& db, RunId run, const std::vector<RequestRow>& rows,
                      const SnapshotSettings& settings, CancelCheck& cancel,
                      RunSnapshot& snapshot) {
  std::unordered_map<std::int64_t, std::int64_t> base_ns;  // request id -> send time
  std::size_t completed = 0;
  for (const RequestRow& r : rows) {
    if (r.status == results::RequestStatus::kOk && r.sent_ns) ++completed;
  }
  const std::size_t stride =
      std::max<std::size_t>(1, (completed + settings.itl_sample_requests - 1) /
                                   std::max<std::size_t>(1, settings.itl_sample_requests));
  std::size_t k = 0;
  for (const RequestRow& r : rows) {
    if (r.status != results::RequestStatus::kOk || !r.sent_ns) continue;
    if (k++ % stride == 0) base_ns.emplace(r.request_id, *r.sent_ns);
  }
  results::Statement s(db, "SELECT request_id, data FROM request_chunks WHERE run_id = ?");
  s.Bind(1, run.value);
  std::vector<double> gaps_ms;
  while (s.Step()) {
    cancel.EveryFewRows();
    const auto it = base_ns.find(s.ColumnInt(0));
    if (it == base_ns.end()) continue;
    const std::vector<std::uint8_t> blob = s.ColumnBlob(1);
    const std::vector<results::ChunkArrival> chunks =
        results::DecodeChunkArrivals(blob, it->second);
    results::ForEachTokenGap(chunks, [&gaps_ms](std::int64_t gap_ns, std::int32_t tokens) {
      const double per_token = static_cast<double>(gap_ns) / kNsPerMs / tokens;
      gaps_ms.insert(gaps_ms.end(), static_cast<std::size_t>(tokens), per_token);
    });
  }
  snapshot.itl = MakeLatencyCdf(gaps_ms, settings, /*sampled=*/stride > 1);
}

void AddSessions(const std::vector<RequestRow>& rows, std::int64_t start_ns,
                 const SnapshotSettings& settings, RunSnapshot& snapshot) {
  std::unordered_map<std::string, std::size_t> index;
  const auto seconds = [start_ns](std::int64_t ns) {
    return static_cast<double>(ns - start_ns) / kNsPerS;
  };
  for (const RequestRow& r : rows) {
    if (!r.session_id || !r.sent_ns) continue;
    auto it = index.find(*r.session_id);
    if (it == index.end()) {
      if (snapshot.sessions.size() >= settings.sessions) continue;
      it = index.emplace(*r.session_id, snapshot.sessions.size()).first;
      snapshot.sessions.push_back({.id = *r.session_id, .turns = {}});
    }
    Turn turn{.turn_index = r.turn_index.value_or(0),
              .sent_s = seconds(*r.sent_ns),
              .first_token_s = std::nullopt,
              .done_s = std::nullopt,
              .status = r.status};
    if (r.first_token_ns) turn.first_token_s = seconds(*r.first_token_ns);
    if (r.done_ns) turn.done_s = seconds(*r.done_ns);
    snapshot.sessions[it->second].turns.push_back(turn);
  }
  for (Session& session : snapshot.sessions) {
    std::sort(session.turns.begin(), session.turns.end(),
              [](const Turn& a, const Turn& b) { return a.turn_index < b.turn_index; });
  }
}

void AddSeries(results::Database& db, RunId run, std::int64_t start_ns,
               const SnapshotSettings& settings, CancelCheck& cancel, RunSnapshot& snapshot) {
  results::Statement s(db,
                       "SELECT source, metric, labels, time_ns, value FROM samples "
                       "WHERE run_id = ? ORDER BY source, metric, labels, time_ns");
  s.Bind(1, run.value);
  std::vector<Point> points;
  Series current;
  const auto flush = [&] {
    if (points.empty()) return;
    current.stored_points = points.size();
    current.points = DownsampleMinMax(points, settings.series_buckets);
    snapshot.series.push_back(std::move(current));
    current = Series{};
    points.clear();
  };
  while (s.Step()) {
    cancel.EveryFewRows();
    std::string source = s.ColumnText(0), metric = s.ColumnText(1), labels = s.ColumnText(2);
    if (source != current.source || metric != current.metric || labels != current.labels_json) {
      flush();
      current.source = std::move(source);
      current.metric = std::move(metric);
      current.labels_json = std::move(labels);
    }
    points.push_back(
        {.x = static_cast<double>(s.ColumnInt(3) - start_ns) / kNsPerS, .y = s.ColumnDouble(4)});
  }
  flush();
}

}  // namespace

RunSnapshot LoadRunSnapshot(const std::string& db_path, RunId run, const SnapshotSettings& settings,
                            const std::atomic<bool>* cancel) {
  CancelCheck check(cancel);
  results::ResultsStore store = results::ResultsStore::OpenForReading(db_path);
  std::optional<results::RunRow> row = store.GetRun(run);
  if (!row) throw Error(fmt::format("{}: there is no run {}", db_path, run.value));
  RunSnapshot snapshot;
  snapshot.run = std::move(*row);
  snapshot.metrics = store.LoadRunMetrics(run);
  check.Now();

  const std::vector<RequestRow> rows = LoadRequestRows(store.database(), run, check);
  snapshot.requests = static_cast<std::int64_t>(rows.size());
  // The time axis starts at the first send, as the summary's does.
  std::int64_t start_ns = std::numeric_limits<std::int64_t>::max();
  for (const RequestRow& r : rows) {
    if (r.sent_ns) start_ns = std::min(start_ns, *r.sent_ns);
  }
  if (start_ns == std::numeric_limits<std::int64_t>::max()) {
    results::Statement first(store.database(),
                             "SELECT COALESCE(MIN(time_ns), 0) FROM samples WHERE run_id = ?");
    first.Bind(1, run.value);
    start_ns = first.Step() ? first.ColumnInt(0) : 0;
  }
  snapshot.start_ns = start_ns;

  AddRequestFigures(rows, settings, snapshot);
  check.Now();
  AddSessions(rows, start_ns, settings, snapshot);
  AddSeries(store.database(), run, start_ns, settings, check, snapshot);
  AddInterTokenCdf(store.database(), run, rows, settings, check, snapshot);
  return snapshot;
}

}  // namespace infermeter::dashboard
