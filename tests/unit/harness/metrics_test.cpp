#include "infermeter/harness/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "infermeter/core/error.h"

namespace infermeter::harness {
namespace {

using results::ChunkArrival;
using results::RequestRecord;
using results::RequestStatus;

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kS = 1'000'000'000;
constexpr double kTol = 1e-9;

// A request sent at `sent_ns` (scheduled then too) with the given chunks; output tokens are the
// chunks' tokens and done_ns is the last chunk, unless changed afterwards.
RequestRecord Request(std::int64_t sent_ns, std::vector<ChunkArrival> chunks,
                      RequestStatus status = RequestStatus::kOk) {
  RequestRecord r;
  r.scheduled_ns = sent_ns;
  r.sent_ns = sent_ns;
  r.status = status;
  for (const ChunkArrival& c : chunks) r.output_tokens += c.tokens;
  r.done_ns = chunks.empty() ? sent_ns : chunks.back().time_ns;
  r.chunks = std::move(chunks);
  return r;
}

// N one-token chunks: the first at sent + ttft, then one every `itl`.
RequestRecord Streamed(std::int64_t sent_ns, std::int64_t ttft_ns, std::int64_t itl_ns, int n) {
  std::vector<ChunkArrival> chunks;
  for (int i = 0; i < n; ++i) chunks.push_back({sent_ns + ttft_ns + i * itl_ns, 1});
  return Request(sent_ns, std::move(chunks));
}

std::vector<double> Shuffled(std::vector<double> values) {
  std::shuffle(values.begin(), values.end(), std::mt19937(7));
  return values;
}

void ExpectSameDistribution(const Distribution& a, const Distribution& b) {
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.p50, b.p50);
  EXPECT_EQ(a.p90, b.p90);
  EXPECT_EQ(a.p95, b.p95);
  EXPECT_EQ(a.p99, b.p99);
  EXPECT_EQ(a.p99_9, b.p99_9);
  EXPECT_EQ(a.min, b.min);
  EXPECT_EQ(a.max, b.max);
  EXPECT_NEAR(a.mean, b.mean, 1e-9 * std::abs(b.mean) + kTol);
  EXPECT_NEAR(a.std, b.std, 1e-9 * std::abs(b.std) + kTol);
}

// --- Distributions -------------------------------------------------------------------------

TEST(Summarize, NearestRankOnOneToTen) {
  std::vector<double> v = Shuffled({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  const Distribution d = Summarize(v);
  EXPECT_EQ(d.count, 10);
  // ceil(q * 10): ranks 5, 9, 10, 10, 10.
  EXPECT_EQ(d.p50, 5);
  EXPECT_EQ(d.p90, 9);
  EXPECT_EQ(d.p95, 10);
  EXPECT_EQ(d.p99, 10);
  EXPECT_EQ(d.p99_9, 10);
  EXPECT_EQ(d.min, 1);
  EXPECT_EQ(d.max, 10);
  EXPECT_DOUBLE_EQ(d.mean, 5.5);
  EXPECT_NEAR(d.std, std::sqrt(8.25), kTol);  // population: Σ(x − 5.5)² / 10 = 8.25
}

TEST(Summarize, P999OnOneToThousandIsExact) {
  std::vector<double> v(1000);
  std::iota(v.begin(), v.end(), 1.0);
  v = Shuffled(v);
  const Distribution d = Summarize(v);
  EXPECT_EQ(d.p50, 500);
  EXPECT_EQ(d.p90, 900);
  EXPECT_EQ(d.p95, 950);
  EXPECT_EQ(d.p99, 990);
  EXPECT_EQ(d.p99_9, 999);  // rank 999 exactly, not 1000 (0.999 * 1000 rounding)
}

TEST(Summarize, SingleValueAndEmpty) {
  std::vector<double> one{7.5};
  const Distribution d = Summarize(one);
  EXPECT_EQ(d.count, 1);
  for (const double x : {d.p50, d.p90, d.p99_9, d.min, d.max, d.mean}) EXPECT_EQ(x, 7.5);
  EXPECT_EQ(d.std, 0);

  std::vector<double> none;
  const Distribution e = Summarize(none);
  EXPECT_EQ(e.count, 0);
  EXPECT_EQ(e.p99, 0);
  EXPECT_EQ(e.mean, 0);
}

TEST(Summarize, TiesAndSmallSamples) {
  std::vector<double> v{3, 1, 3, 3, 2};  // sorted 1 2 3 3 3
  const Distribution d = Summarize(v);
  EXPECT_EQ(d.p50, 3);  // rank ceil(2.5) = 3
  std::vector<double> two{4, 2};
  const Distribution e = Summarize(two);
  EXPECT_EQ(e.p50, 2);  // rank 1
  EXPECT_EQ(e.p90, 4);  // rank 2
}

TEST(SummarizeWeighted, HandComputed) {
  // As a sample: 1, 2, 2, 2, 10.
  const Distribution d = SummarizeWeighted({10, 1, 2}, {1, 1, 3});
  EXPECT_EQ(d.count, 5);
  EXPECT_EQ(d.p50, 2);   // rank 3
  EXPECT_EQ(d.p90, 10);  // rank 5
  EXPECT_EQ(d.min, 1);
  EXPECT_EQ(d.max, 10);
  EXPECT_DOUBLE_EQ(d.mean, 17.0 / 5);
  EXPECT_NEAR(d.std, std::sqrt(55.2 / 5), kTol);
}

TEST(SummarizeWeighted, ZeroWeightsCountAsNothing) {
  const Distribution d = SummarizeWeighted({100, 1, -5}, {0, 2, 0});
  EXPECT_EQ(d.count, 2);
  EXPECT_EQ(d.min, 1);
  EXPECT_EQ(d.max, 1);
  EXPECT_EQ(d.p99_9, 1);
  EXPECT_EQ(SummarizeWeighted({1}, {0}).count, 0);
  EXPECT_THROW(SummarizeWeighted({1, 2}, {1}), std::invalid_argument);
}

// Weighted selection against the definition: each value repeated `weight` times.
void ExpectWeightedEqualsExpanded(int n, int max_weight, int big_weight, unsigned seed) {
  SCOPED_TRACE(testing::Message() << "n=" << n << " max_weight=" << max_weight
                                  << " big_weight=" << big_weight);
  std::mt19937 rng(seed);
  std::vector<WeightedValue> weighted;
  std::vector<double> expanded;
  for (int i = 0; i < n; ++i) {
    const double value = static_cast<double>(rng() % 200);  // plenty of ties
    // Mostly small weights, now and then a heavy one: the case where guessing the pivot from
    // the average weight misses and selection needs several rounds.
    int weight = static_cast<int>(rng() % static_cast<unsigned>(max_weight)) + 1;
    if (rng() % 20 == 0) weight = big_weight;
    weighted.push_back({value, static_cast<double>(weight)});
    expanded.insert(expanded.end(), weight, value);
  }
  ExpectSameDistribution(SummarizeWeighted(weighted), Summarize(expanded));
}

TEST(SummarizeWeighted, EqualsTheExpandedSample) {
  for (const int n : {1, 2, 3, 17, 1000, 5000}) ExpectWeightedEqualsExpanded(n, 4, 4, 42);
  for (const int n : {15, 16, 33, 20000}) ExpectWeightedEqualsExpanded(n, 1, 1, 7);  // uniform
  for (const int n : {40, 500, 20000}) ExpectWeightedEqualsExpanded(n, 3, 200, 9);   // skewed
}

// --- Per-request figures -------------------------------------------------------------------

TEST(RequestTimings, MultiTokenChunksAndZeroTokenChunks) {
  const std::int64_t sent = 1000 * kMs;
  RequestRecord r = Request(sent, {{sent + 100 * kMs, 0},    // role delta: not a token
                                   {sent + 200 * kMs, 2},    // first token chunk
                                   {sent + 260 * kMs, 3},    // 60 ms / 3 tokens = 20 ms
                                   {sent + 280 * kMs, 1},    // 20 ms / 1
                                   {sent + 400 * kMs, 2},    // 120 ms / 2 = 60 ms
                                   {sent + 410 * kMs, 0}});  // usage chunk: not the end
  r.scheduled_ns = sent - 5 * kMs;
  r.released_ns = sent - 2 * kMs;
  ASSERT_EQ(r.output_tokens, 8);
  const RequestTimings t = ComputeRequestTimings(r, {});
  EXPECT_TRUE(t.ok);
  EXPECT_DOUBLE_EQ(*t.ttft_ms, 200);
  EXPECT_DOUBLE_EQ(*t.ttst_ms, 60);
  EXPECT_DOUBLE_EQ(*t.e2e_ms, 400);
  EXPECT_DOUBLE_EQ(*t.ttft_from_scheduled_ms, 205);
  EXPECT_DOUBLE_EQ(*t.e2e_from_scheduled_ms, 405);
  EXPECT_DOUBLE_EQ(*t.tpot_ms, 200.0 / 7);      // (e2e − ttft) / (N − 1)
  EXPECT_DOUBLE_EQ(*t.itl_mean_ms, 200.0 / 6);  // (20·3 + 20·1 + 60·2) / 6 tokens
  EXPECT_DOUBLE_EQ(*t.ntpot_ms, 400.0 / 8);
  EXPECT_DOUBLE_EQ(*t.schedule_lag_ms, 2);  // from released_ns, not scheduled_ns
  EXPECT_FALSE(t.queue_ms);
  EXPECT_FALSE(t.good);  // no SLO set

  r.released_ns.reset();
  r.engine_queue_ns = 7 * kMs;
  const RequestTimings u = ComputeRequestTimings(r, {});
  EXPECT_DOUBLE_EQ(*u.schedule_lag_ms, 5);
  EXPECT_DOUBLE_EQ(*u.queue_ms, 7);
}

TEST(RequestTimings, OneTokenHasNoTpotAndPassesTheTpotSlo) {
  const RequestRecord r = Request(0, {{50 * kMs, 1}});
  const RequestTimings t = ComputeRequestTimings(r, {.tpot_ms = 1.0});
  EXPECT_DOUBLE_EQ(*t.ttft_ms, 50);
  EXPECT_DOUBLE_EQ(*t.e2e_ms, 50);
  EXPECT_FALSE(t.tpot_ms);
  EXPECT_FALSE(t.ttst_ms);
  EXPECT_FALSE(t.itl_mean_ms);
  EXPECT_DOUBLE_EQ(*t.ntpot_ms, 50);
  EXPECT_TRUE(t.good);  // N < 2 passes a TPOT SLO (vLLM)
  EXPECT_FALSE(ComputeRequestTimings(r, {.ttft_ms = 49.0}).good);
  EXPECT_TRUE(ComputeRequestTimings(r, {.ttft_ms = 50.0}).good);  // at the SLO is good
}

TEST(RequestTimings, NoTokenChunkEndsAtDone) {
  RequestRecord r = Request(10 * kMs, {}, RequestStatus::kError);
  r.done_ns = 40 * kMs;
  const RequestTimings t = ComputeRequestTimings(r, {.e2e_ms = 1000.0});
  EXPECT_FALSE(t.ok);
  EXPECT_FALSE(t.ttft_ms);
  EXPECT_DOUBLE_EQ(*t.e2e_ms, 30);
  EXPECT_FALSE(t.good);  // failed requests are never good

  RequestRecord unsent;
  unsent.scheduled_ns = 5;
  unsent.status = RequestStatus::kCancelled;
  const RequestTimings u = ComputeRequestTimings(unsent, {});
  EXPECT_FALSE(u.schedule_lag_ms);
  EXPECT_FALSE(u.e2e_ms);
}

TEST(RequestTimings, FirstVisibleTokenAndHttpPhases) {
  const std::int64_t sent = 100 * kMs;
  // Two reasoning chunks (3 tokens), then visible output 80 ms after the send.
  RequestRecord r =
      Request(sent, {{sent + 50 * kMs, 1}, {sent + 60 * kMs, 2}, {sent + 80 * kMs, 1}});
  r.first_visible_token_ns = sent + 80 * kMs;
  r.reasoning_tokens = 3;
  r.connected_ns = sent + 2 * kMs;
  r.first_byte_ns = sent + 30 * kMs;
  const RequestTimings t = ComputeRequestTimings(r, {});
  EXPECT_DOUBLE_EQ(*t.ttft_ms, 50);  // reasoning tokens are output: TTFT counts them
  EXPECT_DOUBLE_EQ(*t.ttfvt_ms, 80);
  EXPECT_TRUE(t.reasoning_first);
  EXPECT_DOUBLE_EQ(*t.connect_ms, 2);
  EXPECT_DOUBLE_EQ(*t.first_byte_ms, 30);

  // No reasoning: the first visible token is the first token.
  r.first_visible_token_ns = sent + 50 * kMs;
  r.reasoning_tokens.reset();
  const RequestTimings plain = ComputeRequestTimings(r, {});
  EXPECT_EQ(plain.ttfvt_ms, plain.ttft_ms);
  EXPECT_FALSE(plain.reasoning_first);

  // Only reasoning came (it ran out of tokens while thinking): no TTFVT, but reasoning first.
  r.first_visible_token_ns.reset();
  r.reasoning_tokens = 4;
  const RequestTimings thinking = ComputeRequestTimings(r, {});
  EXPECT_FALSE(thinking.ttfvt_ms);
  EXPECT_TRUE(thinking.reasoning_first);

  // A row from before schema version 5 knows none of it.
  r.reasoning_tokens.reset();
  r.connected_ns.reset();
  r.first_byte_ns.reset();
  const RequestTimings old = ComputeRequestTimings(r, {});
  EXPECT_FALSE(old.ttfvt_ms);
  EXPECT_FALSE(old.reasoning_first);
  EXPECT_FALSE(old.connect_ms);
  EXPECT_FALSE(old.first_byte_ms);
}

// --- Run summary ---------------------------------------------------------------------------

TEST(SummarizeRun, PooledItlIsTokenWeighted) {
  const std::int64_t sent = 0;
  const std::vector<RequestRecord> requests{
      Request(sent, {{100 * kMs, 1}, {160 * kMs, 3}, {180 * kMs, 1}, {300 * kMs, 2}}),
      Request(sent, {{100 * kMs, 1}, {110 * kMs, 1}}),
  };
  const RunSummary s = SummarizeRun(requests, {});
  // Per-token gaps: 20 ms ×3 tokens, 20 ×1, 60 ×2 (first request); 10 ×1 (second).
  // As a sample of 7 tokens: 10, 20, 20, 20, 20, 60, 60.
  EXPECT_EQ(s.itl_ms.count, 7);
  EXPECT_DOUBLE_EQ(s.itl_ms.p50, 20);  // rank 4
  EXPECT_DOUBLE_EQ(s.itl_ms.p90, 60);  // rank 7
  EXPECT_DOUBLE_EQ(s.itl_ms.min, 10);
  EXPECT_DOUBLE_EQ(s.itl_ms.mean, 210.0 / 7);
  // Per-request means: 200/6 and 10/1.
  EXPECT_EQ(s.itl_mean_ms.count, 2);
  EXPECT_DOUBLE_EQ(s.itl_mean_ms.max, 200.0 / 6);
  EXPECT_DOUBLE_EQ(s.itl_mean_ms.min, 10);
  EXPECT_EQ(s.tpot_ms.count, 2);  // N = 7 and N = 2
  EXPECT_DOUBLE_EQ(s.tpot_ms.max, 200.0 / 6);
}

TEST(SummarizeRun, InFlightSteadyStateAndBuckets) {
  // In flight (seconds):  R1 [0,10)  R2 [1,9)  R3 [2,8)  R4 [3,4)  R5 [5,7.5)
  // Count: 1 2 3 4 3 4 3 2 1 0 at 0 1 2 3 4 5 7.5 8 9 10. Max 4; ≥ 90% of it means 4: windows
  // [3,4) and [5,7.5]; the longer is the steady state.
  std::vector<RequestRecord> requests{
      Request(0, {{kS / 2, 1}, {6 * kS, 4}, {10 * kS, 1}}),
      Request(1 * kS, {{3 * kS / 2, 1}, {9 * kS, 1}}),
      Request(2 * kS, {{5 * kS / 2, 1}, {8 * kS, 1}}),
      Request(3 * kS, {{7 * kS / 2, 1}, {4 * kS, 1}}),
      Request(5 * kS, {{11 * kS / 2, 2}, {13 * kS / 2, 3}, {15 * kS / 2, 1}}),
  };
  for (RequestRecord& r : requests) r.input_tokens = 100;
  const RunSummary s = SummarizeRun(requests, {});
  EXPECT_EQ(s.start_ns, 0);
  EXPECT_EQ(s.end_ns, 10 * kS);
  EXPECT_DOUBLE_EQ(s.duration_s, 10);
  EXPECT_DOUBLE_EQ(s.max_in_flight, 4);
  EXPECT_DOUBLE_EQ(s.mean_in_flight, (10 + 8 + 6 + 1 + 2.5) / 10.0);

  const std::vector<std::pair<std::int64_t, double>> expected{
      {0, 1},      {kS, 2},          {2 * kS, 3}, {3 * kS, 4}, {4 * kS, 3},
      {5 * kS, 4}, {15 * kS / 2, 3}, {8 * kS, 2}, {9 * kS, 1}, {10 * kS, 0}};
  ASSERT_EQ(s.in_flight.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(s.in_flight[i].time_ns, expected[i].first) << i;
    EXPECT_EQ(s.in_flight[i].value, expected[i].second) << i;
  }

  EXPECT_DOUBLE_EQ(s.steady_state_start_s, 5);
  EXPECT_DOUBLE_EQ(s.steady_state_duration_s, 2.5);
  // In [5, 7.5]: R1's 4 tokens at 6 s and R5's 2 + 3 + 1: 10 tokens / 2.5 s.
  EXPECT_DOUBLE_EQ(s.steady_state_output_tokens_per_s, 4);

  // 1 s buckets from 0: tokens at 0.5 1.5 2.5 3.5 4 5.5 6+6.5 7.5 8 9 10.
  const std::vector<double> output{1, 1, 1, 1, 1, 2, 7, 1, 1, 1, 1};
  ASSERT_EQ(s.output_tokens_per_s_1s.size(), output.size());
  for (std::size_t i = 0; i < output.size(); ++i) {
    EXPECT_EQ(s.output_tokens_per_s_1s[i].time_ns, static_cast<std::int64_t>(i) * kS);
    EXPECT_EQ(s.output_tokens_per_s_1s[i].value, output[i]) << i;
  }
  EXPECT_DOUBLE_EQ(s.peak_output_tokens_per_s, 7);
  // Input tokens at each request's first token chunk: buckets 0, 1, 2, 3 and 5.
  const std::vector<double> input{100, 100, 100, 100, 0, 100, 0, 0, 0, 0, 0};
  ASSERT_EQ(s.input_tokens_per_s_1s.size(), input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    EXPECT_EQ(s.input_tokens_per_s_1s[i].value, input[i]) << i;
  }

  EXPECT_EQ(s.output_tokens, 18);
  EXPECT_DOUBLE_EQ(s.output_tokens_per_s, 1.8);
  EXPECT_DOUBLE_EQ(s.input_tokens_per_s, 50);
  EXPECT_DOUBLE_EQ(s.total_tokens_per_s, 51.8);
  EXPECT_DOUBLE_EQ(s.request_throughput_per_s, 0.5);
}

TEST(SummarizeRun, FailedRequestsAreInFlightButNotInThroughput) {
  std::vector<RequestRecord> requests{
      Request(0, {{2 * kS, 10}}),
      Request(kS, {{3 * kS, 5}}, RequestStatus::kError),
  };
  const RunSummary s = SummarizeRun(requests, {});
  EXPECT_DOUBLE_EQ(s.duration_s, 3);
  EXPECT_DOUBLE_EQ(s.max_in_flight, 2);
  EXPECT_EQ(s.output_tokens, 10);
  EXPECT_DOUBLE_EQ(s.peak_output_tokens_per_s, 10);  // the failed request's 5 are not counted
  EXPECT_EQ(s.ttft_ms.count, 1);
  EXPECT_EQ(s.schedule_lag_ms.count, 2);
}

TEST(SummarizeRun, Goodput) {
  std::vector<RequestRecord> requests{
      Streamed(0, 100 * kMs, 20 * kMs, 10),       // ttft 100, tpot 20, e2e 280: good
      Streamed(0, 600 * kMs, 20 * kMs, 10),       // ttft 600: misses ttft
      Streamed(0, 100 * kMs, 80 * kMs, 10),       // tpot 80: misses tpot
      Streamed(0, 100 * kMs, 0, 1),               // N = 1, no TPOT: good
      Request(0, {}, RequestStatus::kError),      // counts in good_fraction's denominator
      Request(0, {}, RequestStatus::kCancelled),  // does not
  };
  requests[4].done_ns = 4 * kS;  // makes the run 4 s long
  const SloSettings slo = ParseSlo("ttft=500,tpot=50", "--slo");
  const RunSummary s = SummarizeRun(requests, slo);
  EXPECT_TRUE(s.slo_set);
  EXPECT_DOUBLE_EQ(s.duration_s, 4);
  EXPECT_EQ(s.requests_completed, 4);
  EXPECT_EQ(s.requests_failed, 1);
  EXPECT_EQ(s.requests_cancelled, 1);
  EXPECT_EQ(s.good_requests, 2);
  EXPECT_DOUBLE_EQ(s.goodput_requests_per_s, 0.5);
  EXPECT_DOUBLE_EQ(s.goodput_output_tokens_per_s, 11.0 / 4);
  EXPECT_DOUBLE_EQ(s.good_fraction, 2.0 / 5);

  const RunSummary none = SummarizeRun(requests, {});
  EXPECT_FALSE(none.slo_set);
  EXPECT_EQ(none.good_requests, 0);
  EXPECT_EQ(none.goodput_requests_per_s, 0);
}

TEST(SummarizeRun, ErrorsUsageAndPrefixCache) {
  auto with = [](RequestRecord r, std::optional<std::int64_t> requested, std::string error) {
    r.requested_output_tokens = requested;
    r.error_class = std::move(error);
    r.input_tokens = 100;
    r.cached_tokens = 25;
    return r;
  };
  const std::vector<RequestRecord> requests{
      with(Streamed(0, kMs, kMs, 10), 10, ""),  // as asked
      with(Streamed(0, kMs, kMs, 8), 10, ""),   // short
      with(Streamed(0, kMs, kMs, 12), 10, ""),  // long
      with(Streamed(0, kMs, kMs, 5), std::nullopt, ""),
      with(Request(0, {}, RequestStatus::kError), 10, "timeout"),
      with(Request(0, {}, RequestStatus::kError), 10, "timeout"),
      with(Request(0, {}, RequestStatus::kError), 10, ""),
      with(Request(0, {}, RequestStatus::kError), 10, "HTTP 503"),
  };
  const RunSummary s = SummarizeRun(requests, {});
  EXPECT_EQ(s.usage_mismatches, 2);  // failed requests are not checked
  EXPECT_EQ(s.output_shortfalls, 1);
  const std::map<std::string, std::int64_t> errors{{"timeout", 2}, {"unknown", 1}, {"HTTP 503", 1}};
  EXPECT_EQ(s.errors_by_class, errors);
  EXPECT_EQ(s.input_tokens, 400);  // completed requests only
  EXPECT_EQ(s.cached_tokens, 100);
  EXPECT_DOUBLE_EQ(s.prefix_cache_hit_ratio, 0.25);
}

TEST(SummarizeRun, ScheduleLagCountsEverySentRequest) {
  RequestRecord released = Streamed(100 * kMs, kMs, kMs, 2);
  released.scheduled_ns = 0;
  released.released_ns = 99 * kMs;  // a concurrency cap held it 99 ms; sent 1 ms later
  RequestRecord failed = Request(10 * kMs, {}, RequestStatus::kError);
  failed.scheduled_ns = 7 * kMs;
  RequestRecord unsent;  // cancelled before it was sent: no lag
  unsent.status = RequestStatus::kCancelled;
  const RunSummary s = SummarizeRun({released, failed, unsent}, {});
  EXPECT_EQ(s.schedule_lag_ms.count, 2);
  EXPECT_DOUBLE_EQ(s.schedule_lag_ms.min, 1);
  EXPECT_DOUBLE_EQ(s.schedule_lag_ms.max, 3);
  // The coordinated-omission-free view includes the cap's wait.
  EXPECT_DOUBLE_EQ(s.ttft_from_scheduled_ms.max, 101);
  EXPECT_DOUBLE_EQ(s.ttft_ms.max, 1);
}

TEST(SummarizeRun, EmptyAndUnsentRuns) {
  const RunSummary empty = SummarizeRun({}, {});
  EXPECT_EQ(empty.requests_total, 0);
  EXPECT_EQ(empty.duration_s, 0);
  EXPECT_TRUE(empty.in_flight.empty());
  EXPECT_TRUE(empty.output_tokens_per_s_1s.empty());

  RequestRecord unsent;
  unsent.scheduled_ns = 5 * kS;
  unsent.status = RequestStatus::kCancelled;
  const RunSummary s = SummarizeRun({unsent}, {});
  EXPECT_EQ(s.start_ns, 5 * kS);
  EXPECT_EQ(s.duration_s, 0);
  EXPECT_EQ(s.max_in_flight, 0);
  EXPECT_EQ(s.steady_state_duration_s, 0);
  EXPECT_EQ(s.steady_state_output_tokens_per_s, 0);
}

// --- run_metrics rows ----------------------------------------------------------------------

const results::RunMetric* Find(const std::vector<results::RunMetric>& rows,
                               const std::string& name) {
  for (const auto& row : rows) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

TEST(ToRunMetrics, NamesUnitsAndUniqueness) {
  std::vector<RequestRecord> requests{Streamed(0, 100 * kMs, 10 * kMs, 11),
                                      Request(0, {}, RequestStatus::kError),
                                      Request(0, {}, RequestStatus::kError)};
  requests[1].error_class = "HTTP 503";
  requests[2].error_class = "http-503";  // same metric name: counts add up
  const RunSummary s = SummarizeRun(requests, {});
  const auto rows = ToRunMetrics(s, RunId(9));

  std::set<std::string> names;
  for (const auto& row : rows) {
    EXPECT_EQ(row.run_id, RunId(9));
    EXPECT_TRUE(names.insert(row.name).second) << "duplicate " << row.name;
  }
  const auto value = [&](const std::string& name) {
    const results::RunMetric* row = Find(rows, name);
    EXPECT_NE(row, nullptr) << name;
    return row ? row->value : -1;
  };
  EXPECT_DOUBLE_EQ(value("ttft_p99_ms"), 100);
  EXPECT_DOUBLE_EQ(value("itl_p99_9_ms"), 10);
  EXPECT_DOUBLE_EQ(value("itl_count"), 10);
  EXPECT_DOUBLE_EQ(value("itl_per_request_mean_p50_ms"), 10);
  EXPECT_DOUBLE_EQ(value("tpot_mean_ms"), 10);
  EXPECT_DOUBLE_EQ(value("e2e_max_ms"), 200);
  EXPECT_DOUBLE_EQ(value("requests_completed"), 1);
  EXPECT_DOUBLE_EQ(value("errors_http_503"), 2);
  EXPECT_DOUBLE_EQ(value("output_tokens"), 11);
  EXPECT_EQ(Find(rows, "ttft_p99_ms")->unit, "ms");
  EXPECT_EQ(Find(rows, "output_tokens_per_s")->unit, "tokens/s");
  EXPECT_EQ(Find(rows, "request_throughput_per_s")->unit, "requests/s");
  EXPECT_EQ(Find(rows, "prefix_cache_hit_ratio")->unit, "");
  EXPECT_EQ(Find(rows, "duration_s")->unit, "s");
  // Empty distributions and unset goodput leave no rows.
  EXPECT_EQ(Find(rows, "engine_queue_p50_ms"), nullptr);
  EXPECT_EQ(Find(rows, "goodput_requests_per_s"), nullptr);

  const auto with_slo = ToRunMetrics(SummarizeRun(requests, {.e2e_ms = 500.0}), RunId(9));
  ASSERT_NE(Find(with_slo, "goodput_requests_per_s"), nullptr);
  EXPECT_DOUBLE_EQ(Find(with_slo, "good_fraction")->value, 1.0 / 3);
  EXPECT_DOUBLE_EQ(Find(with_slo, "slo_e2e_ms")->value, 500);
  EXPECT_EQ(Find(with_slo, "slo_ttft_ms"), nullptr);
}

TEST(ToRunMetrics, VisibleTokenHttpPhasesAndReasoningTokens) {
  // Request 0: HTTP, reasoning first. Request 1: HTTP, no reasoning count. Request 2: no HTTP
  // phases. Request 3 failed: its times are left out, as for every latency but schedule lag.
  std::vector<RequestRecord> requests{
      Streamed(0, 40 * kMs, 10 * kMs, 5), Streamed(0, 20 * kMs, 10 * kMs, 5),
      Streamed(0, 30 * kMs, 10 * kMs, 5), Request(0, {}, RequestStatus::kError)};
  for (RequestRecord& r : requests) {
    if (!r.chunks.empty()) r.first_visible_token_ns = r.chunks.front().time_ns;
  }
  requests[0].first_visible_token_ns = 60 * kMs;  // after two reasoning chunks
  requests[0].reasoning_tokens = 2;
  requests[2].first_visible_token_ns = 30 * kMs;
  requests[2].reasoning_tokens = 0;  // the server said 0
  for (int i : {0, 1, 3}) {
    requests[i].connected_ns = (i + 1) * kMs;
    requests[i].first_byte_ns = (i + 10) * kMs;
  }
  const RunSummary s = SummarizeRun(requests, {});
  EXPECT_EQ(s.reasoning_tokens, 2);
  EXPECT_EQ(s.reasoning_first_requests, 1);
  EXPECT_EQ(s.ttfvt_ms.count, 3);
  EXPECT_DOUBLE_EQ(s.ttfvt_ms.min, 20);
  EXPECT_DOUBLE_EQ(s.ttfvt_ms.max, 60);
  EXPECT_DOUBLE_EQ(s.ttft_ms.max, 40);
  EXPECT_EQ(s.connect_ms.count, 2);
  EXPECT_DOUBLE_EQ(s.connect_ms.max, 2);
  EXPECT_EQ(s.first_byte_ms.count, 2);
  EXPECT_DOUBLE_EQ(s.first_byte_ms.min, 10);
  EXPECT_DOUBLE_EQ(s.first_byte_ms.max, 11);

  const auto rows = ToRunMetrics(s, RunId(1));
  ASSERT_NE(Find(rows, "ttfvt_max_ms"), nullptr);
  EXPECT_DOUBLE_EQ(Find(rows, "ttfvt_max_ms")->value, 60);
  EXPECT_DOUBLE_EQ(Find(rows, "connect_count")->value, 2);
  EXPECT_EQ(Find(rows, "connect_count")->unit, "requests");
  EXPECT_DOUBLE_EQ(Find(rows, "first_byte_p50_ms")->value, 10);
  EXPECT_EQ(Find(rows, "first_byte_p50_ms")->unit, "ms");
  EXPECT_DOUBLE_EQ(Find(rows, "reasoning_tokens")->value, 2);
  EXPECT_EQ(Find(rows, "reasoning_tokens")->unit, "tokens");

  // Nothing known, nothing stored: no HTTP phases, no first visible token, no reasoning count.
  const RunSummary none = SummarizeRun({Streamed(0, 20 * kMs, 10 * kMs, 3)}, {});
  EXPECT_FALSE(none.reasoning_tokens);
  EXPECT_EQ(none.ttfvt_ms.count, 0);
  const auto bare = ToRunMetrics(none, RunId(1));
  for (const char* name :
       {"ttfvt_count", "connect_count", "first_byte_count", "connect_p50_ms", "reasoning_tokens"}) {
    EXPECT_EQ(Find(bare, name), nullptr) << name;
  }
}

// --- ParseSlo ------------------------------------------------------------------------------

TEST(ParseSlo, ParsesEveryKey) {
  const SloSettings slo = ParseSlo("ttft=500, tpot=30.5,itl=25,e2e=20000", "--slo");
  EXPECT_EQ(slo.ttft_ms, 500);
  EXPECT_EQ(slo.tpot_ms, 30.5);
  EXPECT_EQ(slo.itl_ms, 25);
  EXPECT_EQ(slo.e2e_ms, 20000);
  EXPECT_TRUE(slo.any());
  const SloSettings one = ParseSlo("e2e=1e3", "--slo");
  EXPECT_EQ(one.e2e_ms, 1000);
  EXPECT_FALSE(one.ttft_ms);
}

// The error names the option and quotes the offending item.
void ExpectSloError(const std::string& text, const std::string& item) {
  SCOPED_TRACE(text);
  try {
    ParseSlo(text, "--slo");
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("--slo"), std::string::npos) << message;
    EXPECT_NE(message.find("'" + item + "'"), std::string::npos) << message;
  }
}

TEST(ParseSlo, RejectsBadItems) {
  ExpectSloError("ttft=500,latency=3", "latency=3");  // unknown key
  ExpectSloError("ttft=500,ttft=400", "ttft=400");    // duplicate
  ExpectSloError("ttft=500,tpot", "tpot");            // no '='
  ExpectSloError("ttft=500,", "");                    // empty item
  ExpectSloError("tpot=30ms", "tpot=30ms");           // unit attached
  ExpectSloError("tpot=abc", "tpot=abc");
  ExpectSloError("tpot=", "tpot=");
  ExpectSloError("tpot=inf", "tpot=inf");
  ExpectSloError("tpot=0", "tpot=0");  // non-positive
  ExpectSloError("e2e=-5", "e2e=-5");
  EXPECT_THROW(ParseSlo("", "--slo"), InputError);
}

}  // namespace
}  // namespace infermeter::harness
