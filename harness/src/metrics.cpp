// SummarizeRun: every run figure of docs/METRICS.md from the stored requests. Three linear passes
// over the requests (time base; per-request figures; 1 s buckets and steady-state tokens) and one
// sort of the in-flight events: 1M requests of 256 chunks take 11–19 s on a 2-core machine.

#include "infermeter/harness/metrics.h"

#include <algorithm>
#include <limits>

#include "chunk_facts.h"
#include "timeline.h"

namespace infermeter::harness {
namespace {

constexpr std::int64_t kNsPerS = 1'000'000'000;

double Rate(double amount, double seconds) { return seconds > 0 ? amount / seconds : 0; }
double Ratio(double part, double whole) { return whole > 0 ? part / whole : 0; }

void FindTimeBase(const std::vector<results::RequestRecord>& requests, RunSummary& s) {
  const RunSpan span = FindRunSpan(requests);
  s.start_ns = span.start_ns;
  s.end_ns = span.end_ns;
  s.duration_s = span.duration_s;
}

// Per-request samples of the latency distributions, one vector per figure.
struct Samples {
  std::vector<double> ttft, ttst, e2e, tpot, ntpot, itl_mean, ttft_from_scheduled,
      e2e_from_scheduled, schedule_lag, queue, ttfvt, connect, first_byte;
  std::vector<WeightedValue> itl;  // pooled per-token gaps of every completed request

  explicit Samples(const std::vector<results::RequestRecord>& requests) {
    for (auto* v : {&ttft, &ttst, &e2e, &tpot, &ntpot, &itl_mean, &ttft_from_scheduled,
                    &e2e_from_scheduled, &schedule_lag, &queue, &ttfvt, &connect, &first_byte}) {
      v->reserve(requests.size());
    }
    // At most one gap per chunk after the first: reserve once, no regrowth of the big vector.
    std::size_t gaps = 0;
    for (const results::RequestRecord& r : requests) {
      if (r.status == results::RequestStatus::kOk && !r.chunks.empty()) gaps += r.chunks.size() - 1;
    }
    itl.reserve(gaps);
  }
};

void Push(std::vector<double>& samples, const std::optional<double>& value) {
  if (value) samples.push_back(*value);
}

void CountStatus(const results::RequestRecord& r, RunSummary& s) {
  switch (r.status) {
    case results::RequestStatus::kOk:
      ++s.requests_completed;
      break;
    case results::RequestStatus::kError:
      ++s.requests_failed;
      ++s.errors_by_class[r.error_class.empty() ? std::string("unknown") : r.error_class];
      break;
    case results::RequestStatus::kCancelled:
      ++s.requests_cancelled;
      break;
  }
}

// Token totals, output-length checks and latency samples of one completed request.
void AddCompleted(const results::RequestRecord& r, const RequestTimings& t, RunSummary& s,
                  Samples& samples) {
  s.input_tokens += r.input_tokens;
  s.cached_tokens += r.cached_tokens;
  s.output_tokens += r.output_tokens;
  if (r.reasoning_tokens) s.reasoning_tokens = s.reasoning_tokens.value_or(0) + *r.reasoning_tokens;
  if (t.reasoning_first) ++s.reasoning_first_requests;
  if (r.requested_output_tokens && r.output_tokens != *r.requested_output_tokens) {
    ++s.usage_mismatches;
    if (r.output_tokens < *r.requested_output_tokens) ++s.output_shortfalls;
  }
  Push(samples.ttft, t.ttft_ms);
  Push(samples.ttst, t.ttst_ms);
  Push(samples.e2e, t.e2e_ms);
  Push(samples.tpot, t.tpot_ms);
  Push(samples.ntpot, t.ntpot_ms);
  Push(samples.itl_mean, t.itl_mean_ms);
  Push(samples.ttft_from_scheduled, t.ttft_from_scheduled_ms);
  Push(samples.e2e_from_scheduled, t.e2e_from_scheduled_ms);
  Push(samples.queue, t.queue_ms);
  Push(samples.ttfvt, t.ttfvt_ms);
  Push(samples.connect, t.connect_ms);
  Push(samples.first_byte, t.first_byte_ms);
  detail::AppendTokenGaps(r.chunks, samples.itl);
}

void SummarizeSamples(Samples& samples, RunSummary& s) {
  s.ttft_ms = Summarize(samples.ttft);
  s.ttst_ms = Summarize(samples.ttst);
  s.e2e_ms = Summarize(samples.e2e);
  s.tpot_ms = Summarize(samples.tpot);
  s.ntpot_ms = Summarize(samples.ntpot);
  s.itl_mean_ms = Summarize(samples.itl_mean);
  s.ttft_from_scheduled_ms = Summarize(samples.ttft_from_scheduled);
  s.e2e_from_scheduled_ms = Summarize(samples.e2e_from_scheduled);
  s.schedule_lag_ms = Summarize(samples.schedule_lag);
  s.queue_ms = Summarize(samples.queue);
  s.ttfvt_ms = Summarize(samples.ttfvt);
  s.connect_ms = Summarize(samples.connect);
  s.first_byte_ms = Summarize(samples.first_byte);
  s.itl_ms = SummarizeWeighted(samples.itl);
}

// Tokens per 1 s bucket from start_ns (the last bucket may be partial), and the output tokens
// that arrived within the steady-state window.
struct TokenBuckets {
  std::vector<double> output, input;
  std::int64_t steady_output_tokens = 0;
};

TokenBuckets FillBuckets(const std::vector<results::RequestRecord>& requests, const RunSummary& s,
                         const std::optional<detail::Interval>& steady) {
  const auto buckets = static_cast<std::size_t>((s.end_ns - s.start_ns) / kNsPerS + 1);
  TokenBuckets out{.output = std::vector<double>(buckets, 0.0),
                   .input = std::vector<double>(buckets, 0.0)};
  // Clamped: chunk times are within [start_ns, end_ns] unless a record breaks its contract.
  const auto bucket = [&](std::int64_t time_ns) {
    const std::int64_t index = (std::clamp(time_ns, s.start_ns, s.end_ns) - s.start_ns) / kNsPerS;
    return static_cast<std::size_t>(index);
  };
  for (const results::RequestRecord& r : requests) {
    if (r.status != results::RequestStatus::kOk) continue;
    for (const results::ChunkArrival& chunk : r.chunks) {
      out.output[bucket(chunk.time_ns)] += chunk.tokens;
      // Closed window: the chunk that ends the window (a request's last) arrived inside it.
      if (steady && chunk.time_ns >= steady->begin_ns && chunk.time_ns <= steady->end_ns) {
        out.steady_output_tokens += chunk.tokens;
      }
    }
    // Input tokens count when prefill is over: at the first token chunk, else when done.
    std::optional<std::int64_t> prefilled = detail::FirstTokenChunkNs(r.chunks);
    if (!prefilled) prefilled = r.done_ns;
    if (prefilled) out.input[bucket(*prefilled)] += static_cast<double>(r.input_tokens);
  }
  return out;
}

std::vector<SeriesPoint> ToSeries(const std::vector<double>& buckets, std::int64_t start_ns) {
  std::vector<SeriesPoint> series;
  series.reserve(buckets.size());
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    series.push_back(
        {.time_ns = start_ns + static_cast<std::int64_t>(i) * kNsPerS, .value = buckets[i]});
  }
  return series;
}

void ComputeThroughput(RunSummary& s) {
  const double d = s.duration_s;
  s.request_throughput_per_s = Rate(static_cast<double>(s.requests_completed), d);
  s.input_tokens_per_s = Rate(static_cast<double>(s.input_tokens), d);
  s.output_tokens_per_s = Rate(static_cast<double>(s.output_tokens), d);
  s.total_tokens_per_s = Rate(static_cast<double>(s.input_tokens + s.output_tokens), d);
  s.prefix_cache_hit_ratio =
      Ratio(static_cast<double>(s.cached_tokens), static_cast<double>(s.input_tokens));
}

// In-flight series, its max and mean, the steady-state window; then the 1 s token series.
void ComputeTimeline(const std::vector<results::RequestRecord>& requests,
                     const std::vector<detail::Interval>& in_flight, RunSummary& s) {
  detail::InFlightFigures f = detail::ComputeInFlight(in_flight, s.start_ns, s.end_ns);
  s.in_flight = std::move(f.series);
  s.max_in_flight = f.max;
  s.mean_in_flight = f.mean;
  const double window_s =
      static_cast<double>(f.steady_end_ns - f.steady_begin_ns) / static_cast<double>(kNsPerS);
  s.steady_state_duration_s = window_s;
  s.steady_state_start_s =
      window_s > 0 ? static_cast<double>(f.steady_begin_ns - s.start_ns) / kNsPerS : 0.0;

  std::optional<detail::Interval> steady;
  if (f.steady_end_ns > f.steady_begin_ns)
    steady = detail::Interval{f.steady_begin_ns, f.steady_end_ns};
  const TokenBuckets buckets = FillBuckets(requests, s, steady);
  s.steady_state_output_tokens_per_s =
      Rate(static_cast<double>(buckets.steady_output_tokens), window_s);
  s.peak_output_tokens_per_s = *std::max_element(buckets.output.begin(), buckets.output.end());
  s.output_tokens_per_s_1s = ToSeries(buckets.output, s.start_ns);
  s.input_tokens_per_s_1s = ToSeries(buckets.input, s.start_ns);
}

}  // namespace

RunSpan FindRunSpan(const std::vector<results::RequestRecord>& requests) {
  constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
  std::int64_t first_sent = kNone, first_scheduled = kNone;
  std::int64_t end = std::numeric_limits<std::int64_t>::min();
  for (const results::RequestRecord& r : requests) {
    if (r.sent_ns) first_sent = std::min(first_sent, *r.sent_ns);
    first_scheduled = std::min(first_scheduled, r.scheduled_ns);
    if (const auto request_end = RequestEndNs(r)) end = std::max(end, *request_end);
  }
  RunSpan span;
  span.start_ns = first_sent != kNone ? first_sent : first_scheduled;
  span.end_ns = std::max(end, span.start_ns);
  span.duration_s = static_cast<double>(span.end_ns - span.start_ns) / static_cast<double>(kNsPerS);
  return span;
}

RunSummary SummarizeRun(const std::vector<results::RequestRecord>& requests,
                        const SloSettings& slo) {
  RunSummary s;
  s.requests_total = static_cast<std::int64_t>(requests.size());
  s.slo_set = slo.any();
  s.slo = slo;
  if (requests.empty()) return s;
  FindTimeBase(requests, s);

  std::vector<detail::Interval> in_flight;
  in_flight.reserve(requests.size());
  std::int64_t good_output_tokens = 0;
  {
    Samples samples(requests);
    for (const results::RequestRecord& r : requests) {
      CountStatus(r, s);
      const RequestTimings t = ComputeRequestTimings(r, slo);
      if (r.sent_ns) {
        // Schedule lag and in-flight count every sent request, whatever its status: a failed
        // request was sent late just the same, and occupied the engine until it ended. One sent
        // but never answered (an interrupted run) is in flight to the end.
        Push(samples.schedule_lag, t.schedule_lag_ms);
        const std::int64_t end = detail::RequestEndNs(r).value_or(s.end_ns);
        in_flight.push_back({.begin_ns = *r.sent_ns, .end_ns = std::max(end, *r.sent_ns)});
      }
      if (!t.ok) continue;
      AddCompleted(r, t, s, samples);
      if (t.good) {
        ++s.good_requests;
        good_output_tokens += r.output_tokens;
      }
    }
    SummarizeSamples(samples, s);
  }  // the pooled gaps (the largest allocation) are freed here

  ComputeThroughput(s);
  ComputeTimeline(requests, in_flight, s);
  if (s.slo_set) {
    s.goodput_requests_per_s = Rate(static_cast<double>(s.good_requests), s.duration_s);
    s.goodput_output_tokens_per_s = Rate(static_cast<double>(good_output_tokens), s.duration_s);
    s.good_fraction = Ratio(static_cast<double>(s.good_requests),
                            static_cast<double>(s.requests_completed + s.requests_failed));
  }
  return s;
}

}  // namespace infermeter::harness
