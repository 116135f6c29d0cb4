#include "request_costs.h"

#include <algorithm>

namespace infermeter::collectors {
namespace {

struct Tokens {
  std::int64_t prompt = 0;
  std::int64_t cached = 0;
  std::int64_t output = 0;
};

Tokens TokensOf(const results::RequestRecord& r) {
  Tokens t{.prompt = r.input_tokens, .cached = r.cached_tokens, .output = r.output_tokens};
  t.cached = std::clamp<std::int64_t>(t.cached, 0, std::max<std::int64_t>(t.prompt - 1, 0));
  if (t.prompt <= 0) t.output = 0;  // nothing to run
  return t;
}

// FLOPs of output tokens first..last (1-based; the first comes out of the prefill).
double DecodeFlops(const models::FlopsCalculator& flops, const Tokens& t, std::int64_t first,
                   std::int64_t last) {
  first = std::max<std::int64_t>(first, 2);
  if (last < first) return 0;
  return flops.TokenRange(t.prompt + first - 1, t.prompt + last - 1, models::Phase::kDecode)
             .Total() +
         flops.LmHead().Total() * static_cast<double>(last - first + 1);
}

}  // namespace

RequestCost AnalyticRequestCost(const CostModel& model, const results::RequestRecord& request) {
  const Tokens t = TokensOf(request);
  RequestCost cost;
  cost.flops = model.flops.Request(t.prompt, t.cached, t.output);
  if (t.output >= 2) {
    cost.decode_steps = t.output - 1;
    cost.kv_read_bytes = models::DecodeKvReadBytes(model.flops.architecture(), t.prompt + 1,
                                                   t.prompt + t.output - 1, model.cache);
  }
  return cost;
}

void AddRequestFlops(const CostModel& model, const results::RequestRecord& request,
                     SampleGrid& grid) {
  const Tokens t = TokensOf(request);
  if (t.output <= 0 || !request.sent_ns) return;
  const auto& a = model.flops;
  const double prefill = a.Request(t.prompt, t.cached, 1).Total();
  const std::int64_t first_token_ns = request.first_token_ns.value_or(*request.sent_ns);
  grid.AddSpread(*request.sent_ns, first_token_ns, prefill);

  // Later tokens at their chunk's arrival. Usage is the authority on the count: tokens the
  // chunks do not account for are placed at the last chunk (or the request's end).
  std::int64_t produced = 0;
  for (const auto& chunk : request.chunks) {
    const std::int64_t from = produced + 1;
    produced = std::min(t.output, produced + chunk.tokens);
    grid.AddAt(chunk.time_ns, DecodeFlops(a, t, from, produced));
  }
  if (produced < t.output) {
    const std::int64_t at = request.chunks.empty() ? request.done_ns.value_or(first_token_ns)
                                                   : request.chunks.back().time_ns;
    grid.AddAt(at, DecodeFlops(a, t, produced + 1, t.output));
  }
}

}  // namespace infermeter::collectors
