#include "infermeter/compare/run_resamples.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "infermeter/compare/resampling.h"

namespace infermeter::compare {
namespace {

constexpr std::int64_t kNsPerS = 1'000'000'000;

// The statistics resampled for each latency family, as nearest-rank fractions num/den (the
// harness's rule, distribution.cpp) or the mean. p99.9 and the extremes are left out: a
// bootstrap cannot estimate a tail it rarely draws.
struct Statistic {
  const char* suffix;
  std::int64_t num = 0, den = 0;  // den 0: the mean
};
constexpr std::array<Statistic, 5> kStatistics{
    {{"p50", 50, 100}, {"p90", 90, 100}, {"p95", 95, 100}, {"p99", 99, 100}, {"mean", 0, 0}}};

// One latency family's sample: every value with the request it came from and its weight (1, or
// the tokens of a pooled ITL gap), sorted by value so that each resample is one linear scan.
struct Family {
  std::string name;  // "ttft"
  struct Entry {
    double value;
    double weight;
    std::uint32_t request;
  };
  std::vector<Entry> entries;
};

// The statistics of `family` when request i counts counts[i] times (all 1: the run itself).
std::array<double, kStatistics.size()> Statistics(const Family& family,
                                                  const std::vector<std::uint32_t>* counts) {
  double total = 0, weighted_sum = 0;
  for (const Family::Entry& e : family.entries) {
    const double w = e.weight * (counts ? (*counts)[e.request] : 1);
    total += w;
    weighted_sum += w * e.value;
  }
  std::array<double, kStatistics.size()> out{};
  if (total <= 0) return out;
  std::size_t next = 0;  // the next quantile statistic to find, ascending
  double cumulative = 0;
  for (const Family::Entry& e : family.entries) {
    if (next == kStatistics.size() || kStatistics[next].den == 0) break;
    cumulative += e.weight * (counts ? (*counts)[e.request] : 1);
    // Several quantiles may be reached by one value.
    while (next < kStatistics.size() && kStatistics[next].den != 0 &&
           cumulative * static_cast<double>(kStatistics[next].den) >=
               static_cast<double>(kStatistics[next].num) * total) {
      out[next++] = e.value;
    }
  }
  for (std::size_t i = 0; i < kStatistics.size(); ++i) {
    if (kStatistics[i].den == 0) out[i] = weighted_sum / total;
  }
  return out;
}

struct RunSample {
  std::vector<Family> families;
  std::vector<std::uint8_t> judged, good;  // per request: counts towards / passes goodput
  std::int64_t start_ns = 0, end_ns = 0;
  double duration_s = 0;
  // Numerators of the rates, in total and per 1 s bucket from start_ns.
  struct Rate {
    std::string name;
    double total = 0;
    std::vector<double> buckets;
  };
  std::vector<Rate> rates;
};

// The harness's time base (metrics.cpp, FindTimeBase): first send to the latest end.
void FindTimeBase(const std::vector<results::RequestRecord>& requests, RunSample& sample) {
  constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
  std::int64_t first_sent = kNone, first_scheduled = kNone;
  std::int64_t end = std::numeric_limits<std::int64_t>::min();
  for (const results::RequestRecord& r : requests) {
    if (r.sent_ns) first_sent = std::min(first_sent, *r.sent_ns);
    first_scheduled = std::min(first_scheduled, r.scheduled_ns);
    if (const auto request_end = harness::RequestEndNs(r)) end = std::max(end, *request_end);
  }
  sample.start_ns = first_sent != kNone ? first_sent : first_scheduled;
  sample.end_ns = std::max(end, sample.start_ns);
  sample.duration_s = static_cast<double>(sample.end_ns - sample.start_ns) / kNsPerS;
}

RunSample CollectSample(const std::vector<results::RequestRecord>& requests,
                        const harness::SloSettings& slo) {
  RunSample sample;
  FindTimeBase(requests, sample);
  const auto bucket_count =
      static_cast<std::size_t>((sample.end_ns - sample.start_ns) / kNsPerS + 1);
  const auto bucket = [&](std::int64_t time_ns) {
    return static_cast<std::size_t>(
        (std::clamp(time_ns, sample.start_ns, sample.end_ns) - sample.start_ns) / kNsPerS);
  };
  enum { kOutput, kInput, kRequests, kGoodRequests, kGoodOutput, kRateCount };
  const std::array<const char*, kRateCount> rate_names{
      "output_tokens_per_s", "input_tokens_per_s", "request_throughput_per_s",
      "goodput_requests_per_s", "goodput_output_tokens_per_s"};
  for (const char* name : rate_names) {
    sample.rates.push_back({.name = name, .buckets = std::vector<double>(bucket_count, 0.0)});
  }
  auto add_rate = [&](int rate, std::int64_t time_ns, double amount) {
    sample.rates[rate].total += amount;
    sample.rates[rate].buckets[bucket(time_ns)] += amount;
  };

  enum { kTtft, kTtst, kE2e, kTpot, kNtpot, kItlMean, kItl, kFamilyCount };
  for (const char* name : {"ttft", "ttst", "e2e", "tpot", "ntpot", "itl_per_request_mean", "itl"}) {
    sample.families.push_back({.name = name, .entries = {}});
  }
  sample.judged.assign(requests.size(), 0);
  sample.good.assign(requests.size(), 0);
  std::vector<harness::WeightedValue> gaps;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const results::RequestRecord& r = requests[i];
    const harness::RequestTimings t = harness::ComputeRequestTimings(r, slo);
    const auto index = static_cast<std::uint32_t>(i);
    sample.judged[i] = r.status != results::RequestStatus::kCancelled;
    sample.good[i] = t.good;
    if (!t.ok) continue;
    const std::array<std::pair<int, const std::optional<double>*>, 6> per_request{
        {{kTtft, &t.ttft_ms},
         {kTtst, &t.ttst_ms},
         {kE2e, &t.e2e_ms},
         {kTpot, &t.tpot_ms},
         {kNtpot, &t.ntpot_ms},
         {kItlMean, &t.itl_mean_ms}}};
    for (const auto& [family, value] : per_request) {
      if (*value) sample.families[family].entries.push_back({**value, 1.0, index});
    }
    gaps.clear();
    harness::AppendTokenGaps(r.chunks, gaps);
    for (const harness::WeightedValue& gap : gaps) {
      if (gap.weight > 0) sample.families[kItl].entries.push_back({gap.value, gap.weight, index});
    }

    // Rates: the harness's numerators (metrics.cpp), placed in time where they happened.
    const std::int64_t end_ns = harness::RequestEndNs(r).value_or(sample.end_ns);
    double chunk_tokens = 0;
    for (const results::ChunkArrival& chunk : r.chunks) {
      if (chunk.tokens > 0) add_rate(kOutput, chunk.time_ns, chunk.tokens);
      chunk_tokens += chunk.tokens;
    }
    // Usage may count tokens the chunks did not carry: they arrived by the end.
    add_rate(kOutput, end_ns, static_cast<double>(r.output_tokens) - chunk_tokens);
    const std::optional<std::int64_t> prefilled = harness::FirstTokenChunkNs(r.chunks);
    add_rate(kInput, prefilled.value_or(end_ns), static_cast<double>(r.input_tokens));
    add_rate(kRequests, end_ns, 1);
    if (t.good) {
      add_rate(kGoodRequests, end_ns, 1);
      add_rate(kGoodOutput, end_ns, static_cast<double>(r.output_tokens));
    }
  }
  if (!slo.any()) sample.rates.resize(kGoodRequests);  // no goodput without an SLO
  for (Family& family : sample.families) {
    std::sort(family.entries.begin(), family.entries.end(),
              [](const Family::Entry& a, const Family::Entry& b) { return a.value < b.value; });
  }
  return sample;
}

void ResampleFamilies(const RunSample& sample, std::size_t requests,
                      const ResampleSettings& settings, RunResamples& out) {
  for (const Family& family : sample.families) {
    if (family.entries.empty()) continue;
    // Resamples this family can afford: the pooled ITL may hold millions of gaps.
    const double work = static_cast<double>(family.entries.size()) * settings.resamples;
    int resamples = settings.resamples;
    if (work > settings.max_itl_work) {
      resamples = std::max(200, static_cast<int>(settings.max_itl_work /
                                                 static_cast<double>(family.entries.size())));
      resamples = std::min(resamples, settings.resamples);
    }
    const auto own = Statistics(family, nullptr);
    std::array<FigureResamples*, kStatistics.size()> figures{};
    for (std::size_t s = 0; s < kStatistics.size(); ++s) {
      figures[s] = &out[family.name + "_" + kStatistics[s].suffix + "_ms"];
      figures[s]->method = ResampleMethod::kRequests;
      figures[s]->recomputed = own[s];
      figures[s]->values.reserve(static_cast<std::size_t>(resamples));
    }
    // The same seed for every family: resample b draws the same requests for all of them.
    Rng rng(settings.seed);
    std::vector<std::uint32_t> counts;
    for (int b = 0; b < resamples; ++b) {
      DrawCounts(rng, requests, counts);
      const auto values = Statistics(family, &counts);
      for (std::size_t s = 0; s < kStatistics.size(); ++s) figures[s]->values.push_back(values[s]);
    }
  }
}

void ResampleGoodFraction(const RunSample& sample, const ResampleSettings& settings,
                          RunResamples& out) {
  const auto fraction = [&](const std::vector<std::uint32_t>* counts) {
    double judged = 0, good = 0;
    for (std::size_t i = 0; i < sample.judged.size(); ++i) {
      const double w = counts ? (*counts)[i] : 1;
      judged += sample.judged[i] * w;
      good += sample.good[i] * w;
    }
    return judged > 0 ? good / judged : 0.0;
  };
  FigureResamples& figure = out["good_fraction"];
  figure.method = ResampleMethod::kRequests;
  figure.recomputed = fraction(nullptr);
  Rng rng(settings.seed);
  std::vector<std::uint32_t> counts;
  for (int b = 0; b < settings.resamples; ++b) {
    DrawCounts(rng, sample.judged.size(), counts);
    figure.values.push_back(fraction(&counts));
  }
}

void ResampleRates(const RunSample& sample, const ResampleSettings& settings, RunResamples& out) {
  if (sample.duration_s <= 0) return;
  std::vector<const RunSample::Rate*> rates;
  for (const RunSample::Rate& rate : sample.rates) rates.push_back(&rate);
  // Total tokens/s is output + input, second by second.
  RunSample::Rate total{.name = "total_tokens_per_s", .total = 0, .buckets = {}};
  if (sample.rates.size() >= 2) {
    total.total = sample.rates[0].total + sample.rates[1].total;
    total.buckets = sample.rates[0].buckets;
    for (std::size_t i = 0; i < total.buckets.size(); ++i)
      total.buckets[i] += sample.rates[1].buckets[i];
    rates.push_back(&total);
  }
  for (const RunSample::Rate* rate : rates) {
    FigureResamples& figure = out[rate->name];
    figure.method = ResampleMethod::kTimeBlocks;
    figure.recomputed = rate->total / sample.duration_s;
    const std::size_t n = rate->buckets.size();
    if (n < settings.min_rate_buckets || rate->total <= 0) continue;
    const std::size_t block = BlockLength(n);
    double bucket_sum = 0;
    for (const double v : rate->buckets) bucket_sum += v;
    Rng rng(settings.seed);
    for (int b = 0; b < settings.resamples; ++b) {
      figure.values.push_back(figure.recomputed * BlockResampleSum(rate->buckets, block, rng) /
                              bucket_sum);
    }
  }
}

}  // namespace

std::string_view ToString(ResampleMethod method) {
  switch (method) {
    case ResampleMethod::kRequests:
      return "requests";
    case ResampleMethod::kTimeBlocks:
      return "time blocks";
    case ResampleMethod::kRuns:
      return "runs";
  }
  return "unknown";
}

RunResamples ResampleRun(const std::vector<results::RequestRecord>& requests,
                         const harness::SloSettings& slo, const ResampleSettings& settings) {
  RunResamples out;
  if (requests.empty()) return out;
  const RunSample sample = CollectSample(requests, slo);
  ResampleFamilies(sample, requests.size(), settings, out);
  if (slo.any()) ResampleGoodFraction(sample, settings, out);
  ResampleRates(sample, settings, out);
  return out;
}

}  // namespace infermeter::compare
