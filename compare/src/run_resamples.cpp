#include "infermeter/compare/run_resamples.h"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <thread>
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

// Each request's share of a family, so that a resample's statistics cost one sequential pass over
// the requests and short scans of the sorted entries, rather than scans of every entry in value
// order (random access into the counts; the pooled ITL has an entry per token):
//   - its total weight and weighted sum (the mean, and the total the quantiles are fractions of);
//   - per quantile statistic, its weight below a band of sorted entries around the run's own
//     quantile (±2% of the entries). A resample's weight below the band comes out of the same
//     pass, and only the band is scanned. A resample whose quantile falls outside its band
//     (rare) is scanned in full, so the result is always exact.
constexpr std::size_t kQuantiles = kStatistics.size() - 1;  // all but the mean (last)
static_assert(kStatistics.back().den == 0, "the mean is the last statistic");

struct RequestShare {
  double weight = 0, weighted_sum = 0;
  std::array<double, kQuantiles> weight_below_band{};
};
struct RequestShares {
  std::vector<RequestShare> requests;
  std::array<std::size_t, kQuantiles> band_begin{}, band_end{};  // entries [begin, end)
};

constexpr double kBandHalfWidth = 0.02;  // of the entries, either side of the run's quantile

RequestShares SharesOf(const Family& family, std::size_t requests) {
  RequestShares shares{.requests = std::vector<RequestShare>(requests)};
  for (const Family::Entry& e : family.entries) {
    shares.requests[e.request].weight += e.weight;
    shares.requests[e.request].weighted_sum += e.weight * e.value;
  }
  const std::size_t n = family.entries.size();
  const auto at = [n](double fraction) {
    return static_cast<std::size_t>(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(n));
  };
  for (std::size_t q = 0; q < kQuantiles; ++q) {
    const double fraction =
        static_cast<double>(kStatistics[q].num) / static_cast<double>(kStatistics[q].den);
    shares.band_begin[q] = at(fraction - kBandHalfWidth);
    shares.band_end[q] = at(fraction + kBandHalfWidth);
    for (std::size_t k = 0; k < shares.band_begin[q]; ++k) {
      const Family::Entry& e = family.entries[k];
      shares.requests[e.request].weight_below_band[q] += e.weight;
    }
  }
  return shares;
}

// The statistics of `family` when request i counts counts[i] times (all 1: the run itself).
std::array<double, kStatistics.size()> Statistics(const Family& family, const RequestShares& shares,
                                                  const std::vector<std::uint32_t>& counts) {
  double total = 0, weighted_sum = 0;
  std::array<double, kQuantiles> below{};
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    const RequestShare& share = shares.requests[i];
    const double c = counts[i];
    total += share.weight * c;
    weighted_sum += share.weighted_sum * c;
    for (std::size_t q = 0; q < kQuantiles; ++q) below[q] += share.weight_below_band[q] * c;
  }
  std::array<double, kStatistics.size()> out{};
  if (total <= 0) return out;
  // Nearest rank, as the harness (distribution.cpp): the first value whose cumulative weight
  // reaches num/den of the total, compared as cumulative * den >= num * total.
  const auto reached = [total](double cumulative, const Statistic& statistic) {
    return cumulative * static_cast<double>(statistic.den) >=
           static_cast<double>(statistic.num) * total;
  };
  // The first value reaching `statistic`, scanning entries [begin, end) from `cumulative`;
  // nullopt when it is not reached there.
  const auto scan = [&](std::size_t begin, std::size_t end, double cumulative,
                        const Statistic& statistic) -> std::optional<double> {
    for (std::size_t k = begin; k < end; ++k) {
      const Family::Entry& e = family.entries[k];
      cumulative += e.weight * counts[e.request];
      if (reached(cumulative, statistic)) return e.value;
    }
    return std::nullopt;
  };
  for (std::size_t q = 0; q < kQuantiles; ++q) {
    const Statistic& statistic = kStatistics[q];
    std::optional<double> value;
    if (!reached(below[q], statistic)) {
      value = scan(shares.band_begin[q], shares.band_end[q], below[q], statistic);
    }
    if (!value) value = scan(0, family.entries.size(), 0, statistic);
    // Rounding may leave the last entry a hair short of the total: it is the maximum.
    out[q] = value.value_or(family.entries.back().value);
  }
  out[kQuantiles] = weighted_sum / total;
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

// The harness's time base, so the rates resampled are the rates it stored.
void FindTimeBase(const std::vector<results::RequestRecord>& requests, RunSample& sample) {
  const harness::RunSpan span = harness::FindRunSpan(requests);
  sample.start_ns = span.start_ns;
  sample.end_ns = span.end_ns;
  sample.duration_s = span.duration_s;
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

double GoodFraction(const RunSample& sample, const std::vector<std::uint32_t>& counts) {
  double judged = 0, good = 0;
  for (std::size_t i = 0; i < sample.judged.size(); ++i) {
    judged += sample.judged[i] * counts[i];
    good += sample.good[i] * counts[i];
  }
  return judged > 0 ? good / judged : 0.0;
}

// Everything resampled over requests: each latency family's statistics and (with an SLO) the
// good fraction. Resample b draws the same requests for all of them (one set of counts), and
// resamples are spread over the cores: each has its own generator (ResampleRng), so the result
// does not depend on how many threads drew it.
void ResampleRequests(const RunSample& sample, std::size_t requests, bool good_fraction,
                      const ResampleSettings& settings, RunResamples& out) {
  struct Job {
    const Family* family;
    RequestShares shares;
    int resamples;
    std::array<FigureResamples*, kStatistics.size()> figures;
  };
  std::vector<Job> jobs;
  const std::vector<std::uint32_t> ones(requests, 1);
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
    Job job{.family = &family,
            .shares = SharesOf(family, requests),
            .resamples = resamples,
            .figures = {}};
    const auto own = Statistics(family, job.shares, ones);
    for (std::size_t s = 0; s < kStatistics.size(); ++s) {
      FigureResamples& figure = out[family.name + "_" + kStatistics[s].suffix + "_ms"];
      figure.method = ResampleMethod::kRequests;
      figure.recomputed = own[s];
      figure.values.assign(static_cast<std::size_t>(resamples), 0.0);
      job.figures[s] = &figure;
    }
    jobs.push_back(std::move(job));
  }
  FigureResamples* good = nullptr;
  if (good_fraction) {
    good = &out["good_fraction"];
    good->method = ResampleMethod::kRequests;
    good->recomputed = GoodFraction(sample, ones);
    good->values.assign(static_cast<std::size_t>(settings.resamples), 0.0);
  }
  if (jobs.empty() && !good) return;

  const auto draw = [&](std::size_t first, std::size_t stride) {
    std::vector<std::uint32_t> counts;
    for (auto b = first; b < static_cast<std::size_t>(settings.resamples); b += stride) {
      Rng rng = ResampleRng(settings.seed, b);
      DrawCounts(rng, requests, counts);
      for (const Job& job : jobs) {
        if (b >= static_cast<std::size_t>(job.resamples)) continue;
        const auto values = Statistics(*job.family, job.shares, counts);
        for (std::size_t s = 0; s < kStatistics.size(); ++s) job.figures[s]->values[b] = values[s];
      }
      if (good) good->values[b] = GoodFraction(sample, counts);
    }
  };
  // Each thread writes only its own resamples' slots. Small runs are not worth a thread.
  const std::size_t threads =
      requests * static_cast<std::size_t>(settings.resamples) < 2'000'000
          ? 1
          : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 16);
  std::vector<std::thread> workers;
  for (std::size_t t = 1; t < threads; ++t) workers.emplace_back(draw, t, threads);
  draw(0, threads);
  for (std::thread& worker : workers) worker.join();
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
    for (int b = 0; b < settings.resamples; ++b) {
      Rng rng = ResampleRng(settings.time_block_seed, static_cast<std::uint64_t>(b));
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
  ResampleRequests(sample, requests.size(), slo.any(), settings, out);
  ResampleRates(sample, settings, out);
  return out;
}

}  // namespace infermeter::compare
