#include "infermeter/collectors/flops_collector.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "infermeter/core/error.h"
#include "request_costs.h"
#include "sample_grid.h"

namespace infermeter::collectors {
namespace {

double Sum(const FlopsByOpClass& flops) { return std::accumulate(flops.begin(), flops.end(), 0.0); }

results::SampleRecord Point(RunId run, std::int64_t time_ns, std::string metric, double value,
                            std::string labels = "{}") {
  return {.run_id = run,
          .time_ns = time_ns,
          .source = "flops",
          .metric = std::move(metric),
          .labels_json = std::move(labels),
          .value = value};
}

// The cost model's classes in the engine's OpClass order (core/engine.h).
FlopsByOpClass ByOpClass(const models::FlopsByClass& f) {
  return {f.dense_gemm_flops, f.expert_gemm_flops, f.attention_flops,
          f.indexer_flops,    f.compressor_flops,  f.other_flops};
}

}  // namespace

FlopsCollector::FlopsCollector(FlopsCollectorSettings settings) : settings_(std::move(settings)) {
  if (!models::FindWeightFormat(settings_.weight_format)) {
    throw Error(
        fmt::format("flops collector: unknown weight format '{}' (expected bf16, fp8 or "
                    "fp8-fp4)",
                    settings_.weight_format));
  }
}

void FlopsCollector::Start(const harness::CollectorContext& context) {
  context_ = context;
  counted_ = context.engine != nullptr && context.engine->Describe().counts_flops;
  if (!counted_ && !settings_.architecture) {
    throw Error(
        "the engine does not count FLOPs and no cost model was given (name the served model's "
        "architecture, e.g. --cost-model deepseek-v4-flash or a config.json)");
  }
  if (counted_) baseline_ = context.engine->Stats();
  last_ = {};
  final_.reset();
  last_sample_ns_ = context.start_ns;
}

FlopsCollector::Counted FlopsCollector::ReadCounters() const {
  const EngineStats now = context_.engine->Stats();
  Counted c;
  for (std::size_t i = 0; i < kOpClassCount; ++i) c.flops[i] = now.flops[i] - baseline_.flops[i];
  c.steps = now.steps - baseline_.steps;
  c.tokens = (now.prompt_tokens_computed - baseline_.prompt_tokens_computed) +
             (now.generated_tokens - baseline_.generated_tokens);
  return c;
}

void FlopsCollector::Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) {
  if (!counted_) return;  // the analytic series is built from the stored requests
  const Counted c = ReadCounters();
  const double total = Sum(c.flops);
  out.push_back(Point(context_.run, now_ns, "flops_total", total));
  for (std::size_t i = 0; i < kOpClassCount; ++i) {
    out.push_back(Point(context_.run, now_ns, "flops_by_class_total", c.flops[i],
                        fmt::format(R"({{"op_class":"{}"}})", ToString(static_cast<OpClass>(i)))));
  }
  const double seconds = static_cast<double>(now_ns - last_sample_ns_) * 1e-9;
  if (seconds > 0) {
    const double rate = (total - Sum(last_.flops)) / seconds;
    out.push_back(Point(context_.run, now_ns, "flops_per_s", rate));
    if (settings_.peaks.flops_per_s) {
      out.push_back(Point(context_.run, now_ns, "mfu", rate / *settings_.peaks.flops_per_s));
    }
  }
  last_ = c;
  last_sample_ns_ = now_ns;
}

void FlopsCollector::Stop(std::int64_t now_ns, std::vector<results::SampleRecord>& out) {
  Sample(now_ns, out);
  if (counted_) final_ = ReadCounters();
}

void FlopsCollector::Summarize(const harness::CollectorSummaryInput& input,
                               std::vector<results::RunMetric>& metrics,
                               std::vector<results::SampleRecord>& samples) {
  const auto add = [&](std::string name, double value, std::string unit) {
    metrics.push_back(
        {.run_id = input.run, .name = std::move(name), .value = value, .unit = std::move(unit)});
  };
  const double seconds = static_cast<double>(input.end_ns - input.start_ns) * 1e-9;
  double output_tokens = 0;
  for (const auto& r : *input.requests) output_tokens += static_cast<double>(r.output_tokens);

  // The cost model's view of every request.
  std::optional<double> analytic_total;
  FlopsByOpClass analytic_by_class{};
  double kv_read_bytes = 0, decode_steps = 0, decoding_ns = 0;
  if (settings_.architecture) {
    const CostModel model{.flops = models::FlopsCalculator(*settings_.architecture),
                          .cache = settings_.cache_format,
                          .weights = *models::FindWeightFormat(settings_.weight_format)};
    SampleGrid grid(input.start_ns, input.end_ns, settings_.series_bucket_ns);
    analytic_total = 0;
    for (const auto& r : *input.requests) {
      const RequestCost cost = AnalyticRequestCost(model, r);
      const FlopsByOpClass by_class = ByOpClass(cost.flops);
      for (std::size_t i = 0; i < kOpClassCount; ++i) analytic_by_class[i] += by_class[i];
      *analytic_total += cost.flops.Total();
      kv_read_bytes += cost.kv_read_bytes;
      decode_steps += static_cast<double>(cost.decode_steps);
      if (r.first_token_ns && r.last_token_ns) {
        decoding_ns += static_cast<double>(*r.last_token_ns - *r.first_token_ns);
      }
      AddRequestFlops(model, r, grid);
      if (r.done_ns && cost.flops.Total() > 0) {
        samples.push_back(Point(input.run, *r.done_ns, "request_flops", cost.flops.Total(),
                                fmt::format(R"({{"request":"{}"}})", r.request_id)));
      }
    }
    grid.AppendRates(input.run, "flops", "analytic_flops_per_s", samples);
    add("flops_analytic_total", *analytic_total, "FLOP");
  }

  const bool counted = counted_ && final_.has_value();
  const FlopsByOpClass by_class = counted ? final_->flops : analytic_by_class;
  const double total = counted ? Sum(final_->flops) : analytic_total.value_or(0);
  if (!counted && !analytic_total) return;
  add("flops_total", total, "FLOP");
  for (std::size_t i = 0; i < kOpClassCount; ++i) {
    add(fmt::format("flops_{}_total", ToString(static_cast<OpClass>(i))), by_class[i], "FLOP");
  }
  if (counted && analytic_total && *analytic_total > 0) {
    add("flops_counted_to_analytic", total / *analytic_total, "");
  }
  if (output_tokens > 0) add("flops_per_output_token", total / output_tokens, "FLOP");
  if (seconds <= 0) return;
  const double achieved = total / seconds;
  add("achieved_flops_per_s", achieved, "FLOP/s");
  if (settings_.peaks.flops_per_s && *settings_.peaks.flops_per_s > 0) {
    add("mfu", achieved / *settings_.peaks.flops_per_s, "");
  }

  // MBU: bytes the steps must read (weights once per step, the cache per decode token) over the
  // run, against the peak bandwidth. Steps are the engine's count when it keeps one; otherwise
  // decode steps / the mean number of requests decoding at once.
  if (!settings_.architecture) return;
  const models::Architecture& arch = *settings_.architecture;
  double steps = 0, tokens_per_step = 1;
  if (counted && final_->steps > 0) {
    steps = static_cast<double>(final_->steps);
    tokens_per_step = std::max(1.0, static_cast<double>(final_->tokens) / steps);
  } else if (decode_steps > 0) {
    tokens_per_step = std::max(1.0, decoding_ns / (seconds * 1e9));
    steps = decode_steps / tokens_per_step;
  }
  const auto weights = *models::FindWeightFormat(settings_.weight_format);
  const double weight_bytes_per_step =
      models::DecodeStepTraffic(arch, 1, std::max<std::int64_t>(1, std::llround(tokens_per_step)),
                                weights, settings_.cache_format)
          .weight_bytes;
  const double bytes = steps * weight_bytes_per_step + kv_read_bytes;
  add("memory_bytes_read_estimate", bytes, "bytes");
  add("achieved_memory_bytes_per_s", bytes / seconds, "bytes/s");
  if (settings_.peaks.memory_bandwidth_bytes_per_s &&
      *settings_.peaks.memory_bandwidth_bytes_per_s > 0) {
    add("mbu", bytes / seconds / *settings_.peaks.memory_bandwidth_bytes_per_s, "");
  }
}

std::vector<std::pair<std::string, std::string>> FlopsCollector::Facts() const {
  std::vector<std::pair<std::string, std::string>> facts;
  if (counted_) {
    facts.emplace_back("flops_source", "engine counters");
  } else if (settings_.architecture) {
    facts.emplace_back("flops_source",
                       fmt::format("cost model '{}' from each request's prompt, cached and "
                                   "output tokens",
                                   settings_.architecture->name));
  }
  if (settings_.architecture) facts.emplace_back("cost_model", settings_.architecture->name);
  facts.emplace_back("peak_source", settings_.peaks.source);
  facts.emplace_back("peak_precision", settings_.peaks.precision);
  return facts;
}

}  // namespace infermeter::collectors
