#include "run_scenarios.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "infermeter/workloads/generators.h"
#include "infermeter/workloads/import.h"
#include "infermeter/workloads/random.h"

namespace infermeter::cli {
namespace {

// "512" means fixed:512; anything else is a distribution's text form. Lengths are at least one
// token: a fixed length below 1 is an error, other distributions are truncated at 1.
workloads::Distribution ParseLength(const std::string& text, const std::string& option) {
  const bool plain_number =
      !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  workloads::Distribution d =
      workloads::ParseDistribution(plain_number ? "fixed:" + text : text, option);
  if (d.kind == workloads::Distribution::Kind::kFixed && d.a < 1) {
    throw InputError({.source = "<command line>", .field = option},
                     fmt::format("'{}': a length must be at least 1 token", text));
  }
  d.min = std::max(d.min, 1.0);
  return d;
}

std::int64_t SessionsOr(const WorkloadOptions& options, std::int64_t fallback) {
  if (!options.sessions) return fallback;
  if (*options.sessions < 1) {
    throw InputError({.source = "<command line>", .field = "--sessions"},
                     fmt::format("expected at least 1, got {}", *options.sessions));
  }
  return *options.sessions;
}

// Agent sessions small enough for the embedded engine on two cores: a 1.5K-token shared system
// prompt and tool schema, short tool results and answers, some parallel tool calls.
Scenario Agentic(const WorkloadOptions& options) {
  workloads::AgenticSettings s;
  s.sessions = SessionsOr(options, 10);
  s.turns = 4;
  s.system_prompt_tokens = 768;
  s.tool_schema_tokens = 768;
  s.user_tokens = {.kind = workloads::Distribution::Kind::kUniform, .a = 32, .b = 128};
  s.tool_result_tokens = {
      .kind = workloads::Distribution::Kind::kLognormal, .a = 96, .b = 0.8, .min = 8, .max = 512};
  s.answer_tokens = {
      .kind = workloads::Distribution::Kind::kLognormal, .a = 24, .b = 0.5, .min = 4, .max = 64};
  s.tool_latency_ms = {.kind = workloads::Distribution::Kind::kLognormal, .a = 300, .b = 0.5};
  s.parallel_probability = 0.25;
  s.parallel_calls = 2;
  s.block_size_tokens = 128;
  s.arrivals = {.kind = workloads::ArrivalSettings::Kind::kPoisson, .rate_per_s = 0.5};
  s.arrivals.seed = options.seed;
  s.seed = options.seed;
  return {.name = "agentic",
          .trace = workloads::GenerateAgentic(s),
          .has_timestamps = false,
          .description = fmt::format("{} agent sessions x {} steps, shared 1.5K-token prefix, "
                                     "parallel tool calls",
                                     s.sessions, s.turns),
          .default_slo = "ttft=2000,tpot=100"};
}

// Document QA over 3K-6K-token documents: long prefills, then questions that hit the cache.
Scenario LongContext(const WorkloadOptions& options) {
  workloads::LongContextSettings s;
  s.documents = SessionsOr(options, 4);
  s.document_tokens = {.kind = workloads::Distribution::Kind::kUniform, .a = 3072, .b = 6144};
  s.questions_per_document = 3;
  s.question_tokens = {.kind = workloads::Distribution::Kind::kUniform, .a = 16, .b = 64};
  s.answer_tokens = {.kind = workloads::Distribution::Kind::kUniform, .a = 16, .b = 48};
  s.think_time_ms = {.kind = workloads::Distribution::Kind::kExponential, .a = 500};
  s.block_size_tokens = 128;
  s.arrivals = {.kind = workloads::ArrivalSettings::Kind::kPoisson, .rate_per_s = 0.25};
  s.arrivals.seed = options.seed;
  s.seed = options.seed;
  return {.name = "long-context",
          .trace = workloads::GenerateLongContext(s),
          .has_timestamps = false,
          .description = fmt::format("{} documents of 3K-6K tokens x {} questions", s.documents,
                                     s.questions_per_document),
          .default_slo = "ttft=10000,tpot=200"};
}

Scenario Synthetic(const WorkloadOptions& options) {
  workloads::SyntheticSettings s;
  s.requests = options.requests.value_or(100) + options.warmup_requests;
  s.input_tokens = ParseLength(options.input_tokens, "--input-tokens");
  s.output_tokens = ParseLength(options.output_tokens, "--output-tokens");
  s.block_size_tokens = 128;
  s.arrivals = {.kind = workloads::ArrivalSettings::Kind::kPoisson, .rate_per_s = 1.0};
  s.arrivals.seed = options.seed;
  s.seed = options.seed;
  return {.name = "synthetic",
          .trace = workloads::GenerateSynthetic(s),
          .has_timestamps = false,
          .description = fmt::format("{} requests, input {}, output {}", s.requests,
                                     workloads::ToString(s.input_tokens),
                                     workloads::ToString(s.output_tokens))};
}

Scenario TraceFile(const WorkloadOptions& options) {
  const std::string& path = options.workload;
  if (!std::filesystem::exists(path)) {
    throw InputError({.source = "<command line>", .field = "--workload"},
                     fmt::format("'{}' is neither agentic, long-context, synthetic nor an "
                                 "existing trace file",
                                 path));
  }
  workloads::ImportOptions import;
  import.format = options.format;
  import.seed = options.seed;
  workloads::ImportResult imported = workloads::ImportTraceFile(path, import);
  const bool timestamps = imported.format != workloads::kFormatShareGpt;
  return {.name = std::filesystem::path(path).filename().string(),
          .trace = std::move(imported.trace),
          .has_timestamps = timestamps,
          .description = fmt::format("{} trace {} ({} records)", imported.format, path,
                                     imported.records_read)};
}

}  // namespace

Scenario BuildScenario(const WorkloadOptions& options) {
  if (options.workload == "agentic") return Agentic(options);
  if (options.workload == "long-context") return LongContext(options);
  if (options.workload == "synthetic") return Synthetic(options);
  return TraceFile(options);
}

std::vector<Scenario> DefaultSuite(const WorkloadOptions& options) {
  std::vector<Scenario> suite;
  suite.push_back(Agentic(options));
  suite.push_back(LongContext(options));
  return suite;
}

std::optional<workloads::ArrivalSettings> ApplyLoadModel(workloads::Trace& trace,
                                                         const Scenario& scenario,
                                                         const WorkloadOptions& options,
                                                         std::optional<double> rate_override) {
  const std::optional<double> rate = rate_override ? rate_override : options.rate_per_s;
  workloads::ArrivalSettings arrivals;
  arrivals.seed = options.seed;
  if (options.replay || (scenario.has_timestamps && !rate && !options.concurrency)) {
    if (!scenario.has_timestamps) {
      throw InputError({.source = "<command line>", .field = "--replay"},
                       fmt::format("'{}' has no timestamps to replay; use --rate or "
                                   "--concurrency",
                                   scenario.name));
    }
    arrivals.kind = workloads::ArrivalSettings::Kind::kTrace;
    arrivals.time_scale = options.time_scale;
    arrivals.window_start_s = options.window_start_s;
    arrivals.window_end_s = options.window_end_s;
  } else if (rate) {
    arrivals.kind = options.burstiness_cv
                        ? workloads::ArrivalSettings::Kind::kGamma
                        : workloads::ParseArrivalKind(options.arrival, "--arrival");
    if (arrivals.kind == workloads::ArrivalSettings::Kind::kTrace) {
      throw InputError({.source = "<command line>", .field = "--arrival"},
                       "use --replay to keep a trace's own timestamps");
    }
    arrivals.rate_per_s = *rate;
    arrivals.burstiness_cv = options.burstiness_cv.value_or(1.0);
    arrivals.ramp_end_rate_per_s = options.ramp_to_rate_per_s;
    arrivals.ramp_duration_s = options.ramp_duration_s;
  } else {
    return std::nullopt;  // closed loop, or the scenario's own arrivals
  }
  const std::int64_t dropped = workloads::ApplyArrivals(trace, arrivals);
  if (trace.sessions.empty()) {
    throw InputError(
        {.source = "<command line>", .field = "--window-start/--window-end"},
        fmt::format("the replay window [{} s, {}) keeps none of the {} sessions of '{}'",
                    options.window_start_s.value_or(0.0),
                    options.window_end_s ? fmt::format("{} s", *options.window_end_s) : "end",
                    dropped, scenario.name));
  }
  return arrivals;
}

harness::LoadSettings MakeLoadSettings(const WorkloadOptions& options, bool open_loop,
                                       std::optional<std::int64_t> concurrency_override) {
  harness::LoadSettings load;
  load.max_concurrency = concurrency_override ? concurrency_override : options.concurrency;
  load.mode = open_loop ? harness::LoadMode::kOpenLoop : harness::LoadMode::kClosedLoop;
  load.warmup_requests = options.warmup_requests;
  load.max_requests = options.requests;
  load.sampling.seed = options.seed;
  return load;
}

}  // namespace infermeter::cli
