// One run's bootstrap distributions (ResampleRun): their point figures are the harness's own
// figures for the same requests, each resample is the statistic of a resample of the requests
// (checked by hand on the draws), and rates are resampled in time blocks only when the run is
// long enough.

#include "infermeter/compare/run_resamples.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "compare_fixture.h"
#include "infermeter/compare/resampling.h"
#include "infermeter/harness/metrics.h"

namespace infermeter::compare {
namespace {

using testing::MakeRequests;
using testing::RunShape;

std::map<std::string, double> StoredFigures(const std::vector<results::RequestRecord>& requests,
                                            const harness::SloSettings& slo) {
  std::map<std::string, double> figures;
  for (const results::RunMetric& m :
       harness::ToRunMetrics(harness::SummarizeRun(requests, slo), RunId{1})) {
    figures[m.name] = m.value;
  }
  return figures;
}

TEST(ResampleRun, PointFiguresAreTheHarnessFigures) {
  const auto requests = MakeRequests({.requests = 240, .noise_seed = 5});
  const harness::SloSettings slo = testing::DefaultSlo();
  const std::map<std::string, double> stored = StoredFigures(requests, slo);
  const RunResamples resamples = ResampleRun(requests, slo, {.resamples = 50, .seed = 3});

  // Every latency family and statistic compare gives an interval, the good fraction and every
  // rate.
  std::vector<std::string> expected;
  for (const char* family :
       {"ttft", "ttst", "e2e", "tpot", "ntpot", "itl_per_request_mean", "itl"}) {
    for (const char* statistic : {"p50", "p90", "p95", "p99", "mean"}) {
      expected.push_back(std::string(family) + "_" + statistic + "_ms");
    }
  }
  for (const char* figure :
       {"good_fraction", "output_tokens_per_s", "input_tokens_per_s", "total_tokens_per_s",
        "request_throughput_per_s", "goodput_requests_per_s", "goodput_output_tokens_per_s"}) {
    expected.push_back(figure);
  }
  std::vector<std::string> names;
  for (const auto& [name, figure] : resamples) names.push_back(name);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);

  for (const auto& [name, figure] : resamples) {
    SCOPED_TRACE(name);
    const auto value = stored.find(name);
    ASSERT_NE(value, stored.end()) << "the harness stores no " << name;
    if (name.find("_mean_ms") != std::string::npos || name.ends_with("_per_s")) {
      // Sums in another order: equal to the last bits.
      EXPECT_NEAR(figure.recomputed, value->second, 1e-12 * std::fabs(value->second));
    } else {
      EXPECT_EQ(figure.recomputed, value->second);  // order statistics and counts: exact
    }
    EXPECT_EQ(figure.values.size(), 50u);
    const bool rate = name.ends_with("_per_s");
    EXPECT_EQ(figure.method, rate ? ResampleMethod::kTimeBlocks : ResampleMethod::kRequests);
  }
  // The fixture's shapes are there: failures, a cancellation, usage beyond the chunks.
  EXPECT_GT(stored.at("requests_failed"), 0);
  EXPECT_EQ(stored.at("requests_cancelled"), 1);
  EXPECT_GT(stored.at("good_fraction"), 0.1);
  EXPECT_LT(stored.at("good_fraction"), 0.9);
}

// A family's statistics when request i is drawn counts[i] times, by brute force: every entry
// (value, weight) of every drawn request, sorted; nearest rank on the cumulative weight.
struct Entry {
  double value;
  double weight;
};
std::array<double, 5> BruteForce(const std::vector<std::vector<Entry>>& per_request,
                                 const std::vector<int>& counts) {
  std::vector<Entry> sample;
  double total = 0, sum = 0;
  for (std::size_t i = 0; i < per_request.size(); ++i) {
    for (const Entry& e : per_request[i]) {
      sample.push_back({e.value, e.weight * counts[i]});
      total += e.weight * counts[i];
      sum += e.value * e.weight * counts[i];
    }
  }
  std::sort(sample.begin(), sample.end(),
            [](const Entry& a, const Entry& b) { return a.value < b.value; });
  std::array<double, 5> out{};
  const std::array<int, 4> percent{50, 90, 95, 99};
  for (std::size_t q = 0; q < percent.size(); ++q) {
    double cumulative = 0;
    for (const Entry& e : sample) {
      cumulative += e.weight;
      if (cumulative * 100 >= percent[q] * total) {
        out[q] = e.value;
        break;
      }
    }
  }
  out[4] = sum / total;
  return out;
}

// Eight requests whose TTFTs are 9^i ms: a resample's mean TTFT times 8 is sum(count_i * 9^i)
// with every count below 9, so its digits in base 9 are the counts the resample drew, whatever
// the generator's scheme. From them every other statistic of that resample is known: E2E, TPOT,
// the good fraction, and the pooled ITL (about 480 token-weighted gaps, so its quantiles are
// found in a band of the sorted gaps or, when the resample moves them out of it, by a full scan).
TEST(ResampleRun, EachResampleIsTheStatisticOfResampledRequests) {
  constexpr int kRequests = 8;
  constexpr std::int64_t kMs = 1'000'000;
  std::vector<results::RequestRecord> requests;
  std::vector<std::vector<Entry>> ttft(kRequests), e2e(kRequests), tpot(kRequests), itl(kRequests);
  double power = 1;
  for (int i = 0; i < kRequests; ++i, power *= 9) {
    results::RequestRecord r;
    r.request_id = i;
    r.scheduled_ns = 1'000'000'000'000 + i * 100 * kMs;
    r.released_ns = r.scheduled_ns;
    r.sent_ns = r.scheduled_ns;
    std::int64_t t = *r.sent_ns + static_cast<std::int64_t>(power) * kMs;
    r.chunks.push_back({.time_ns = t, .tokens = 1});
    std::int64_t tokens = 1;
    for (int k = 0; k < 60; ++k) {
      const int chunk_tokens = 1 + (k + i) % 3;
      const int gap_ms = 1 + (7 * k + 3 * i) % 40;  // per token
      t += gap_ms * chunk_tokens * kMs;
      r.chunks.push_back({.time_ns = t, .tokens = chunk_tokens});
      tokens += chunk_tokens;
      itl[i].push_back({static_cast<double>(gap_ms), static_cast<double>(chunk_tokens)});
    }
    r.done_ns = t + kMs;
    r.input_tokens = 10;
    r.output_tokens = tokens;
    ttft[i].push_back({power, 1});
    e2e[i].push_back({static_cast<double>(t - *r.sent_ns) / 1e6, 1});
    tpot[i].push_back(
        {static_cast<double>(t - r.chunks.front().time_ns) / 1e6 / static_cast<double>(tokens - 1),
         1});
    requests.push_back(r);
  }
  // Good: TTFT <= 100 ms (requests 0, 1 and 2).
  const harness::SloSettings slo{.ttft_ms = 100};
  const int kResamples = 300;
  const RunResamples resamples = ResampleRun(requests, slo, {.resamples = kResamples, .seed = 17});
  ASSERT_EQ(resamples.at("ttft_mean_ms").recomputed, 672605);  // (9^8 - 1) / 8 / 8
  ASSERT_EQ(resamples.at("itl_p50_ms").values.size(), static_cast<std::size_t>(kResamples));

  const auto expect_family = [&](const std::string& family,
                                 const std::vector<std::vector<Entry>>& entries,
                                 const std::vector<int>& counts, int b) {
    const std::array<double, 5> want = BruteForce(entries, counts);
    const std::array<const char*, 4> quantiles{"p50", "p90", "p95", "p99"};
    for (std::size_t q = 0; q < quantiles.size(); ++q) {
      EXPECT_EQ(resamples.at(family + "_" + quantiles[q] + "_ms").values[b], want[q])
          << family << " " << quantiles[q];
    }
    EXPECT_NEAR(resamples.at(family + "_mean_ms").values[b], want[4], 1e-9 * want[4]) << family;
  };

  std::vector<int> drawn(kRequests, 0);
  std::set<std::vector<int>> distinct;
  for (int b = 0; b < kResamples; ++b) {
    SCOPED_TRACE(b);
    auto code =
        static_cast<std::int64_t>(std::llround(resamples.at("ttft_mean_ms").values[b] * kRequests));
    std::vector<int> counts;
    for (int i = 0; i < kRequests; ++i, code /= 9) {
      counts.push_back(static_cast<int>(code % 9));
      drawn[i] += counts.back();
    }
    ASSERT_EQ(code, 0);
    ASSERT_EQ(std::accumulate(counts.begin(), counts.end(), 0), kRequests)
        << "n draws with replacement";
    distinct.insert(counts);
    // The same requests for every family.
    expect_family("ttft", ttft, counts, b);
    expect_family("e2e", e2e, counts, b);
    expect_family("tpot", tpot, counts, b);
    expect_family("itl", itl, counts, b);
    EXPECT_DOUBLE_EQ(resamples.at("good_fraction").values[b],
                     (counts[0] + counts[1] + counts[2]) / 8.0);
  }
  // Each request drawn about once per resample (8 draws of 1 in 8), and the resamples differ.
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_GT(drawn[i], 230) << i;
    EXPECT_LT(drawn[i], 370) << i;
  }
  EXPECT_GT(distinct.size(), 250u);
}

// `seed` draws the requests, `time_block_seed` the 1 s blocks (run_resamples.h).
TEST(ResampleRun, SameSeedsSameResamplesOtherSeedsOthers) {
  const auto requests = MakeRequests({.requests = 120, .noise_seed = 9});
  const auto slo = testing::DefaultSlo();
  const RunResamples a =
      ResampleRun(requests, slo, {.resamples = 30, .seed = 4, .time_block_seed = 8});
  const RunResamples b =
      ResampleRun(requests, slo, {.resamples = 30, .seed = 4, .time_block_seed = 8});
  const RunResamples other_requests =
      ResampleRun(requests, slo, {.resamples = 30, .seed = 5, .time_block_seed = 8});
  const RunResamples other_blocks =
      ResampleRun(requests, slo, {.resamples = 30, .seed = 4, .time_block_seed = 9});
  for (const char* name : {"ttft_p50_ms", "itl_mean_ms", "good_fraction"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(a.at(name).values, b.at(name).values);
    EXPECT_NE(a.at(name).values, other_requests.at(name).values);
    EXPECT_EQ(a.at(name).values, other_blocks.at(name).values);
  }
  for (const char* name : {"output_tokens_per_s", "request_throughput_per_s"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(a.at(name).values, b.at(name).values);
    EXPECT_EQ(a.at(name).values, other_requests.at(name).values);
    EXPECT_NE(a.at(name).values, other_blocks.at(name).values);
  }
}

TEST(ResampleRun, IntervalsBracketTheRunsOwnFigures) {
  const auto requests = MakeRequests({.requests = 240, .noise_seed = 12});
  const RunResamples resamples =
      ResampleRun(requests, testing::DefaultSlo(), {.resamples = 400, .seed = 1});
  for (const char* name :
       {"ttft_p50_ms", "ttft_mean_ms", "e2e_p90_ms", "tpot_mean_ms", "itl_p50_ms", "good_fraction",
        "output_tokens_per_s", "request_throughput_per_s", "total_tokens_per_s"}) {
    SCOPED_TRACE(name);
    const FigureResamples& figure = resamples.at(name);
    std::vector<double> values = figure.values;
    const auto interval = PercentileInterval(values, 0.95);
    ASSERT_TRUE(interval);
    EXPECT_LE(interval->low, figure.recomputed);
    EXPECT_GE(interval->high, figure.recomputed);
    EXPECT_LT(interval->low, interval->high) << "an interval of no width";
  }
}

TEST(ResampleRun, RatesOfShortRunsAndRunsWithoutSloHaveNoResamples) {
  // 8 requests 100 ms apart: about 1 s, fewer 1 s buckets than min_rate_buckets.
  const auto short_run = MakeRequests({.requests = 8, .noise_seed = 3});
  const RunResamples resamples =
      ResampleRun(short_run, testing::DefaultSlo(), {.resamples = 20, .seed = 1});
  ASSERT_TRUE(resamples.contains("output_tokens_per_s"));
  EXPECT_TRUE(resamples.at("output_tokens_per_s").values.empty());
  EXPECT_GT(resamples.at("output_tokens_per_s").recomputed, 0);
  EXPECT_EQ(resamples.at("ttft_p50_ms").values.size(), 20u);

  // Without an SLO there is no goodput to resample.
  const auto requests = MakeRequests({.requests = 200, .noise_seed = 3});
  const RunResamples no_slo = ResampleRun(requests, {}, {.resamples = 20, .seed = 1});
  EXPECT_FALSE(no_slo.contains("good_fraction"));
  EXPECT_FALSE(no_slo.contains("goodput_requests_per_s"));
  EXPECT_FALSE(no_slo.contains("goodput_output_tokens_per_s"));
  EXPECT_EQ(no_slo.at("output_tokens_per_s").values.size(), 20u);

  EXPECT_TRUE(ResampleRun({}, testing::DefaultSlo(), {}).empty());
}

TEST(ResampleRun, PooledItlGetsFewerResamplesAboveItsWorkLimit) {
  const auto requests = MakeRequests({.requests = 200, .noise_seed = 3});
  // A work limit the ITL gaps exceed at 300 resamples but not at 200.
  std::size_t gaps = 0;
  std::vector<harness::WeightedValue> scratch;
  for (const results::RequestRecord& r : requests) {
    if (r.status != results::RequestStatus::kOk) continue;
    scratch.clear();
    harness::AppendTokenGaps(r.chunks, scratch);
    gaps += scratch.size();
  }
  const RunResamples resamples =
      ResampleRun(requests, testing::DefaultSlo(),
                  {.resamples = 300, .seed = 1, .max_itl_work = 250.0 * static_cast<double>(gaps)});
  // Fewer than asked, never fewer than 200; the other families keep all 300 (their requests'
  // values times 300 are well under the limit).
  EXPECT_LT(resamples.at("itl_p50_ms").values.size(), 300u);
  EXPECT_GE(resamples.at("itl_p50_ms").values.size(), 200u);
  EXPECT_EQ(resamples.at("itl_mean_ms").values.size(), resamples.at("itl_p50_ms").values.size());
  EXPECT_EQ(resamples.at("ttft_p50_ms").values.size(), 300u);
}

}  // namespace
}  // namespace infermeter::compare
