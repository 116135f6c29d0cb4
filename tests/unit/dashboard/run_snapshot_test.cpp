// The dashboard's loading core on a real results file: what it draws agrees with the harness's
// own summary of the same stored requests, downsampling keeps what a chart must show, and a load
// can be cancelled.

#include "infermeter/dashboard/run_snapshot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "infermeter/harness/metrics.h"
#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"
#include "temp_db.h"

namespace infermeter::dashboard {
namespace {

constexpr std::int64_t kMs = 1'000'000;

results::RequestRecord Request(RunId run, std::int64_t id, std::int64_t sent_ms,
                               std::vector<std::pair<std::int64_t, std::int32_t>> chunks,
                               results::RequestStatus status = results::RequestStatus::kOk) {
  results::RequestRecord r;
  r.run_id = run;
  r.request_id = id;
  r.session_id = "s" + std::to_string(id % 3);
  r.turn_index = static_cast<std::int32_t>(id / 3);
  r.scheduled_ns = sent_ms * kMs;
  r.released_ns = r.scheduled_ns;
  r.sent_ns = r.scheduled_ns;
  r.input_tokens = 100 * id;
  for (const auto& [at_ms, tokens] : chunks) {
    r.chunks.push_back({.time_ns = at_ms * kMs, .tokens = tokens});
    r.output_tokens += tokens;
  }
  if (!r.chunks.empty()) {
    r.first_token_ns = r.chunks.front().time_ns;
    r.last_token_ns = r.chunks.back().time_ns;
  }
  r.done_ns = r.last_token_ns.value_or(*r.sent_ns + kMs);
  r.status = status;
  if (status == results::RequestStatus::kError) r.error_class = "http_503";
  return r;
}

class RunSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = results::ResultsStore::OpenForWriting(path_);
    results::RunInfo info;
    info.name = "fixture";
    info.engine = "reference";
    info.model = "v4-mini";
    info.workload_name = "agentic";
    run_ = store.BeginRun(info);
    requests_ = {Request(run_, 1, 0, {{40, 1}, {50, 1}, {70, 2}}),
                 Request(run_, 2, 5, {{300, 1}, {301, 4}, {340, 1}}),
                 Request(run_, 3, 10, {{30, 1}}),
                 Request(run_, 4, 12, {{50, 1}, {60, 1}}, results::RequestStatus::kError),
                 Request(run_, 5, 20, {{900, 3}, {1000, 1}})};
    results::ResultsWriter writer(path_);
    for (const auto& r : requests_) writer.Add(r);
    for (int i = 0; i < 10'000; ++i) {  // a long series with one spike
      writer.Add(results::SampleRecord{.run_id = run_,
                                       .time_ns = i * kMs,
                                       .source = "kv_cache",
                                       .metric = "kv_used_bytes",
                                       .labels_json = "{}",
                                       .value = i == 7777 ? 1e9 : static_cast<double>(i % 100)});
    }
    writer.Add(results::RunMetric{run_, "ttft_p99_ms", 295, "ms"});
    writer.Close();
    store.FinishRun(run_, results::RunStatus::kCompleted, 1);
  }

  testing::TempDir dir_;
  const std::string path_ = dir_.File("runs.db");
  RunId run_;
  std::vector<results::RequestRecord> requests_;
};

TEST_F(RunSnapshotTest, DrawsWhatTheHarnessSummarizes) {
  const RunSnapshot snapshot = LoadRunSnapshot(path_, run_);
  const harness::RunSummary summary = harness::SummarizeRun(requests_, {});
  EXPECT_EQ(snapshot.requests, 5);
  EXPECT_EQ(snapshot.run.info.name, "fixture");
  ASSERT_EQ(snapshot.metrics.size(), 1u);

  const auto check = [](const LatencyCdf& cdf, const harness::Distribution& d, const char* what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(cdf.count, d.count);
    ASSERT_FALSE(cdf.points.empty());
    EXPECT_NEAR(cdf.points.front().x, d.min, 1e-9);
    EXPECT_NEAR(cdf.points.back().x, d.max, 1e-9);
    EXPECT_DOUBLE_EQ(cdf.points.back().y, 1.0);
    EXPECT_FALSE(cdf.sampled);
  };
  check(snapshot.ttft, summary.ttft_ms, "ttft");
  check(snapshot.tpot, summary.tpot_ms, "tpot");
  check(snapshot.e2e, summary.e2e_ms, "e2e");
  check(snapshot.itl, summary.itl_ms, "itl");
  EXPECT_EQ(snapshot.errors_by_class.at("http_503"), 1);
  EXPECT_EQ(snapshot.input_tokens_vs_ttft_ms.size(), 4u);

  // Sessions s0, s1, s2 with their turns in order.
  ASSERT_EQ(snapshot.sessions.size(), 3u);
  for (const Session& session : snapshot.sessions) {
    for (std::size_t i = 1; i < session.turns.size(); ++i) {
      EXPECT_LT(session.turns[i - 1].turn_index, session.turns[i].turn_index);
    }
  }

  ASSERT_EQ(snapshot.series.size(), 1u);
  const Series& kv = snapshot.series.front();
  EXPECT_EQ(kv.stored_points, 10'000u);
  EXPECT_LE(kv.points.size(), 4'000u);
  double peak = 0;
  for (const Point& p : kv.points) peak = std::max(peak, p.y);
  EXPECT_EQ(peak, 1e9) << "downsampling lost the spike";
}

TEST_F(RunSnapshotTest, SamplesTheInterTokenGapsOfALargeRunAndSaysSo) {
  const RunSnapshot snapshot = LoadRunSnapshot(path_, run_, {.itl_sample_requests = 2});
  EXPECT_TRUE(snapshot.itl.sampled);
  EXPECT_GT(snapshot.itl.count, 0);
  EXPECT_LT(snapshot.itl.count, harness::SummarizeRun(requests_, {}).itl_ms.count);
}

TEST_F(RunSnapshotTest, CancelledAndMissing) {
  const std::atomic<bool> cancel{true};
  EXPECT_THROW(LoadRunSnapshot(path_, run_, {}, &cancel), LoadCancelled);
  EXPECT_THROW(LoadRunSnapshot(path_, RunId{99}), Error);
  EXPECT_THROW(LoadRunSnapshot(dir_.File("missing.db"), run_), Error);
}

TEST(DownsampleTest, KeepsExtremesEndsAndOrder) {
  std::vector<Point> series;
  for (int i = 0; i < 1000; ++i) series.push_back({.x = i * 1.0, .y = std::sin(i * 0.1)});
  series[500].y = -50;
  const auto out = DownsampleMinMax(series, 10);
  EXPECT_LE(out.size(), 40u);
  EXPECT_EQ(out.front(), series.front());
  EXPECT_EQ(out.back(), series.back());
  EXPECT_TRUE(std::is_sorted(out.begin(), out.end(),
                             [](const Point& a, const Point& b) { return a.x < b.x; }));
  EXPECT_NE(std::find(out.begin(), out.end(), series[500]), out.end());
  EXPECT_EQ(DownsampleMinMax({{0, 1}, {1, 2}}, 10).size(), 2u);

  std::vector<double> values{5, 1, 3, 2, 4};
  const auto cdf = CdfPoints(values, 3);
  ASSERT_EQ(cdf.size(), 3u);
  EXPECT_EQ(cdf.front(), (Point{1, 0.2}));
  EXPECT_EQ(cdf[1], (Point{3, 0.6}));
  EXPECT_EQ(cdf.back(), (Point{5, 1.0}));
  EXPECT_EQ(EvenSubset(std::vector<Point>(100), 7).size(), 7u);
}

}  // namespace
}  // namespace infermeter::dashboard
