// Per-request figures (docs/METRICS.md, "Per-request figures"): every latency is measured from
// the request's own chunk times, from sent_ns (what the engine saw) and from scheduled_ns (what
// a user arriving on schedule would have seen, free of coordinated omission).

#include "infermeter/harness/metrics.h"

#include "chunk_facts.h"

namespace infermeter::harness {
namespace {

// Whether an optional figure meets an optional limit. `if_missing` decides for a request that
// has no such figure (see RequestTimings::good).
bool Meets(const std::optional<double>& value, const std::optional<double>& limit,
           bool if_missing) {
  if (!limit) return true;
  if (!value) return if_missing;
  return *value <= *limit;  // "<=": vLLM and DistServe count a request exactly at the SLO good
}

bool MeetsSlo(const RequestTimings& t, const SloSettings& slo) {
  return Meets(t.ttft_ms, slo.ttft_ms, /*if_missing=*/false) &&
         // N < 2 has no TPOT; vLLM scores it 0, which passes any TPOT SLO.
         Meets(t.tpot_ms, slo.tpot_ms, /*if_missing=*/true) &&
         // Fewer than 2 token chunks have no gap to be slow.
         Meets(t.itl_mean_ms, slo.itl_ms, /*if_missing=*/true) &&
         Meets(t.e2e_ms, slo.e2e_ms, /*if_missing=*/false);
}

}  // namespace

RequestTimings ComputeRequestTimings(const results::RequestRecord& request,
                                     const SloSettings& slo) {
  using detail::NsToMs;
  RequestTimings t;
  t.ok = request.status == results::RequestStatus::kOk;
  if (request.engine_queue_ns) t.queue_ms = NsToMs(*request.engine_queue_ns);
  if (!request.sent_ns) return t;  // never sent: nothing was measured
  const std::int64_t sent = *request.sent_ns;
  t.schedule_lag_ms = NsToMs(sent - request.released_ns.value_or(request.scheduled_ns));

  const detail::TokenChunkFacts chunks = detail::ScanTokenChunks(request.chunks);
  if (chunks.first_ns) {
    t.ttft_ms = NsToMs(*chunks.first_ns - sent);
    t.ttft_from_scheduled_ms = NsToMs(*chunks.first_ns - request.scheduled_ns);
  }
  if (chunks.second_ns) t.ttst_ms = NsToMs(*chunks.second_ns - *chunks.first_ns);
  if (request.first_visible_token_ns) t.ttfvt_ms = NsToMs(*request.first_visible_token_ns - sent);
  if (chunks.first_ns) {
    t.reasoning_first = request.first_visible_token_ns
                            ? *request.first_visible_token_ns > *chunks.first_ns
                            : request.reasoning_tokens.value_or(0) > 0;
  }
  if (request.connected_ns) t.connect_ms = NsToMs(*request.connected_ns - sent);
  if (request.first_byte_ns) t.first_byte_ms = NsToMs(*request.first_byte_ns - sent);
  // The last token chunk ends the request; a trailing usage chunk or [DONE] does not (vLLM).
  // Without any token chunk (an error, an empty answer) the request ends when it was done.
  const std::optional<std::int64_t> end = chunks.last_ns ? chunks.last_ns : request.done_ns;
  if (end) {
    t.e2e_ms = NsToMs(*end - sent);
    t.e2e_from_scheduled_ms = NsToMs(*end - request.scheduled_ns);
  }

  const std::int64_t n = request.output_tokens;
  // With a first token chunk, `end` is the last token chunk, so e2e − ttft = last − first.
  if (chunks.first_ns && n >= 2) {
    t.tpot_ms = NsToMs(*chunks.last_ns - *chunks.first_ns) / static_cast<double>(n - 1);
  }
  if (chunks.tokens_after_first > 0) {
    // Σ over gaps of (gap / tokens) * tokens, divided by Σ tokens: the gaps telescope.
    t.itl_mean_ms =
        NsToMs(*chunks.last_ns - *chunks.first_ns) / static_cast<double>(chunks.tokens_after_first);
  }
  if (t.e2e_ms && n >= 1) t.ntpot_ms = *t.e2e_ms / static_cast<double>(n);

  t.good = t.ok && slo.any() && t.e2e_ms && MeetsSlo(t, slo);
  return t;
}

}  // namespace infermeter::harness
