#include "run_command.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "collecting_sink.h"
#include "db_path.h"
#include "engine_options.h"
#include "infermeter/collectors/hardware_description.h"
#include "infermeter/core/error.h"
#include "infermeter/core/log.h"
#include "infermeter/engines/openai_engine.h"
#include "infermeter/engines/reference_engine.h"
#include "infermeter/exporter/live_run_exporter.h"
#include "infermeter/harness/repeat_spread.h"
#include "infermeter/harness/runner.h"
#include "infermeter/harness/sweep.h"
#include "infermeter/results/store.h"
#include "infermeter/workloads/trace_sample_source.h"
#include "interrupt.h"
#include "metrics_options.h"
#include "openai_options.h"
#include "progress_bar.h"
#include "repeat_report.h"
#include "run_collectors.h"
#include "run_report.h"
#include "run_scenarios.h"

namespace infermeter::cli {
namespace {

struct RunCommandOptions {
  std::string db_path;
  std::string engine = "reference";
  engines::ReferenceEngineOptions reference;
  WorkloadOptions workload;
  std::optional<double> duration_s;
  double drain_timeout_s = 120;
  std::string sweep;
  std::int64_t repeat = 1;  // runs of each scenario; 1 is a lone run
  bool goodput_search = false;
  harness::GoodputSearchSettings search;
  std::string slo;
  harness::ValiditySettings validity;
  std::vector<std::string> labels;
  std::string name;
  bool json = false;
  bool no_progress = false;
  bool exact_lengths = true;
  bool engine_warmup = true;
  double sample_interval_s = 1.0;
  CollectorOptions collectors;
  OpenAiCliOptions openai;
  MetricsOptions metrics;
  bool model_given = false;  // --model was on the command line
  std::string served_model;  // --engine openai: the model the server is asked for
};

std::map<std::string, std::string> ParseLabels(const std::vector<std::string>& items) {
  std::map<std::string, std::string> labels;
  for (const std::string& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw InputError({.source = "<command line>", .field = "--label"},
                       fmt::format("'{}': expected KEY=VALUE", item));
    }
    labels[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return labels;
}

harness::SloSettings ParseSloOption(const std::string& text) {
  return text.empty() ? harness::SloSettings{} : harness::ParseSlo(text, "--slo");
}

// The embedded engine shares the CPU with the harness, and on a small machine its compute threads
// fill every core. Linux then lets a waking thread wait a scheduler tick or more before it runs,
// so sends would be milliseconds late. The engine is built on a helper thread at nice +5, so its
// step thread and the OpenMP threads it starts inherit that, and the dedicated scheduler thread
// (this one, nice 0) preempts them when a send is due. Raising nice needs no privilege.
constexpr int kEngineNiceIncrement = 5;

std::unique_ptr<Engine> MakeEngineBelowScheduler(const engines::ReferenceEngineOptions& options) {
  std::unique_ptr<Engine> engine;
  std::exception_ptr failure;
  std::thread builder([&] {
    const int current = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), current + kEngineNiceIncrement) !=
        0) {
      spdlog::info("could not lower the engine threads' priority; sends may be late");
    }
    try {
      engine = engines::MakeReferenceEngine(options);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  builder.join();
  if (failure) std::rethrow_exception(failure);
  return engine;
}

// The reference engine builds its GEMM kernels for each new shape on first use; two short
// requests before the clock starts keep that out of the first measured TTFTs.
void WarmUpEngine(Engine& engine) {
  for (int i = 0; i < 2; ++i) {
    EngineRequest request;
    request.id = RequestId(-(i + 1));
    for (int t = 0; t < 384; ++t) request.prompt_tokens.push_back(2 + (t * 7919 + i) % 251);
    request.max_output_tokens = 8;
    request.ignore_eos = true;
    auto sink = std::make_shared<CollectingSink>();
    engine.Submit(std::move(request), sink);
    sink->Wait();
  }
}

// One point to run: a scenario, possibly re-timed at a rate or capped at a concurrency.
struct Point {
  std::string label;  // the group point, "" for a lone run
  // What follows the scenario in the run's name and summary: "#2" for a repeat; the label when
  // empty.
  std::string run_name;
  std::optional<double> rate_per_s;
  std::optional<std::int64_t> concurrency;
};

class RunDriver {
 public:
  RunDriver(const RunCommandOptions& options, Engine& engine, const RunCollectors& collectors,
            std::int32_t vocab_size, const std::atomic<bool>& stop, harness::RunListener* listener)
      : options_(options),
        engine_(engine),
        collectors_(collectors),
        hardware_json_(collectors::DescribeHardwareJson(
            {.device = options.engine == "openai"
                           ? "server at " + ServerRoot(options.openai.engine.base_url)
                           : "cpu",
             .engine_details = engine.Describe().details})),
        vocab_size_(vocab_size),
        stop_(stop),
        listener_(listener) {}

  ReportedRun RunPoint(const Scenario& scenario, const Point& point,
                       std::optional<std::int64_t> group_id, const std::string& group_kind) {
    workloads::Trace trace = scenario.trace;
    const auto arrivals = ApplyLoadModel(trace, scenario, options_.workload, point.rate_per_s);
    const bool open_loop =
        arrivals || point.rate_per_s ||
        !(point.concurrency || options_.workload.concurrency);  // generator's own arrivals
    workloads::TokenSettings tokens = Tokens();
    const std::string hash = workloads::WorkloadHash(trace, tokens);
    workloads::TraceSampleSource source(std::move(trace), tokens, scenario.name);

    harness::RunSettings settings;
    settings.load = MakeLoadSettings(options_.workload, open_loop, point.concurrency);
    if (options_.duration_s) {
      settings.load.max_duration_ns = static_cast<std::int64_t>(*options_.duration_s * 1e9);
    }
    settings.load.drain_timeout_ns = static_cast<std::int64_t>(options_.drain_timeout_s * 1e9);
    settings.load.ignore_eos = options_.exact_lengths;
    const std::string& slo = options_.slo.empty() ? scenario.default_slo : options_.slo;
    settings.slo = ParseSloOption(slo);
    settings.validity = options_.validity;
    settings.sample_interval_ns = static_cast<std::int64_t>(options_.sample_interval_s * 1e9);

    results::RunInfo& info = settings.info;
    // A suite's point is the scenario itself: its name says it once.
    const std::string& suffix = point.run_name.empty() ? point.label : point.run_name;
    const bool named_by_point = !suffix.empty() && suffix != scenario.name;
    info.name = options_.name.empty() ? scenario.name : options_.name;
    if (named_by_point) info.name = fmt::format("{} {}", info.name, suffix);
    info.engine = engine_.Describe().name;
    info.model = engine_.Describe().model;
    info.hardware_json = hardware_json_;
    info.workload_name = scenario.name;
    info.workload_hash = hash;
    info.labels = ParseLabels(options_.labels);
    info.group_id = group_id;
    info.group_point = point.label;
    info.config_json = ConfigJson(scenario, point, settings, arrivals, group_kind, slo).dump();

    ProgressBar bar(info.name, !options_.no_progress);
    harness::RunControl control;
    control.stop = &stop_;
    control.on_progress = [&bar](const harness::LoadProgress& p) { bar.Update(p); };
    control.listener = listener_;
    harness::RunOutcome outcome = harness::RunBenchmark(engine_, source, settings, options_.db_path,
                                                        collectors_.ForRun(), control);
    bar.Update(harness::LoadProgress{.planned_requests = outcome.summary.requests_total,
                                     .sent_requests = outcome.summary.requests_total,
                                     .finished_requests = outcome.summary.requests_total,
                                     .output_tokens = outcome.summary.output_tokens,
                                     .start_ns = outcome.load.start_ns},
               /*final=*/true);
    return {
        .scenario = named_by_point ? fmt::format("{} {}", scenario.name, suffix) : scenario.name,
        .description = scenario.description,
        .workload_hash = hash,
        .outcome = std::move(outcome)};
  }

 private:
  // Prompt token ids inside the model's vocabulary, clear of the low ids where tokenizers keep
  // special and byte tokens.
  workloads::TokenSettings Tokens() const {
    workloads::TokenSettings tokens{.seed = options_.workload.seed};
    tokens.vocab_end = std::min(tokens.vocab_end, vocab_size_);
    tokens.vocab_begin = std::min(tokens.vocab_begin, tokens.vocab_end / 8);
    return tokens;
  }

  nlohmann::json ConfigJson(const Scenario& scenario, const Point& point,
                            const harness::RunSettings& settings,
                            const std::optional<workloads::ArrivalSettings>& arrivals,
                            const std::string& group_kind, const std::string& slo) const {
    const WorkloadOptions& w = options_.workload;
    nlohmann::json j;
    j["scenario"] = {{"name", scenario.name}, {"description", scenario.description}};
    j["seed"] = w.seed;
    // Lets `infermeter runs` tell a run whose process died from one that is still going.
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    j["process"] = {{"pid", getpid()}, {"host", host}};
    j["load"] = {
        {"mode", settings.load.mode == harness::LoadMode::kOpenLoop ? "open_loop" : "closed_loop"},
        {"max_concurrency", settings.load.max_concurrency
                                ? nlohmann::json(*settings.load.max_concurrency)
                                : nlohmann::json(nullptr)},
        {"warmup_requests", settings.load.warmup_requests},
        {"max_requests", settings.load.max_requests ? nlohmann::json(*settings.load.max_requests)
                                                    : nlohmann::json(nullptr)},
        {"max_duration_s",
         options_.duration_s ? nlohmann::json(*options_.duration_s) : nlohmann::json(nullptr)},
        {"ignore_eos", settings.load.ignore_eos}};
    if (arrivals && arrivals->kind == workloads::ArrivalSettings::Kind::kTrace) {
      const auto optional = [](const std::optional<double>& v) {
        return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
      };
      j["arrivals"] = {{"kind", "trace"},
                       {"time_scale", arrivals->time_scale},
                       {"window_start_s", optional(arrivals->window_start_s)},
                       {"window_end_s", optional(arrivals->window_end_s)}};
    } else if (arrivals) {
      j["arrivals"] = {{"kind", workloads::ToString(arrivals->kind)},
                       {"rate_per_s", arrivals->rate_per_s},
                       {"burstiness_cv", arrivals->burstiness_cv}};
      if (arrivals->ramp_end_rate_per_s) {
        j["arrivals"]["ramp_end_rate_per_s"] = *arrivals->ramp_end_rate_per_s;
        j["arrivals"]["ramp_duration_s"] = arrivals->ramp_duration_s;
      }
    } else {
      j["arrivals"] = {{"kind", "scenario"}};
    }
    j["slo"] = slo;
    j["validity"] = {{"max_schedule_lag_p99_ms", settings.validity.max_schedule_lag_p99_ms},
                     {"max_error_fraction", settings.validity.max_error_fraction},
                     {"min_completed_requests", settings.validity.min_completed_requests}};
    if (!group_kind.empty()) j["group"] = {{"kind", group_kind}, {"point", point.label}};
    if (options_.engine == "openai") {
      // Never the API key: it stays out of the results.
      const engines::OpenAiEngineOptions& o = options_.openai.engine;
      j["engine"] = {
          {"name", "openai"},
          {"url", o.base_url},
          {"model", options_.served_model},
          {"api", options_.openai.api},
          {"prompt", options_.openai.api == "chat"  ? "chat messages"
                     : options_.openai.text_prompts ? "text (" + options_.openai.prompt_text + ")"
                                                    : "token ids"},
          {"return_token_ids", o.return_token_ids},
          {"continuous_usage_stats", o.continuous_usage_stats},
          {"session_header", o.session_header},
          {"connect_timeout_ms", o.connect_timeout_ms},
          {"request_timeout_ms", o.request_timeout_ms},
          {"idle_timeout_ms", o.idle_timeout_ms},
          {"max_connections", o.max_connections},
          {"http2", o.http2},
          {"api_key", o.api_key.empty() ? "none" : "given (not stored)"}};
      return j;
    }
    const auto& r = options_.reference;
    j["engine"] = {{"name", options_.engine},
                   {"model", r.model},
                   {"kv_cache_bytes", r.kv_cache_bytes},
                   {"block_tokens", r.block_tokens},
                   {"prefix_caching", r.prefix_caching},
                   {"max_running_requests", r.max_running_requests},
                   {"max_step_tokens", r.max_step_tokens},
                   {"threads", r.threads}};
    return j;
  }

  const RunCommandOptions& options_;
  Engine& engine_;
  const RunCollectors& collectors_;
  const std::string hardware_json_;  // described once: enumerating devices is not free
  const std::int32_t vocab_size_;
  const std::atomic<bool>& stop_;
  harness::RunListener* listener_;  // the live metrics exporter; null with --no-metrics
};

// `repeats`: the repeat groups of --repeat, one per scenario, each shown with its spread.
void Report(const RunCommandOptions& options, const std::vector<ReportedRun>& runs,
            const nlohmann::json& group, const std::vector<RepeatGroup>& repeats = {}) {
  if (options.json) {
    if (runs.size() == 1 && group.is_null() && repeats.empty()) {
      std::cout << RunSummaryJson(runs[0]).dump(2) << '\n';
      return;
    }
    nlohmann::json all;
    if (!group.is_null()) all["group"] = group;
    // One repeat group is "group", as a sweep's is; the repeated default suite makes one per
    // scenario.
    if (repeats.size() == 1) all["group"] = RepeatGroupJson(repeats.front());
    if (repeats.size() > 1) {
      all["groups"] = nlohmann::json::array();
      for (const RepeatGroup& repeat : repeats) all["groups"].push_back(RepeatGroupJson(repeat));
    }
    all["runs"] = nlohmann::json::array();
    for (const auto& run : runs) all["runs"].push_back(RunSummaryJson(run));
    std::cout << all.dump(2) << '\n';
    return;
  }
  for (const auto& run : runs) PrintRunSummary(std::cout, run);
  // Collectors that could not run say so once, not once per run.
  std::set<std::string> notes;
  for (const auto& run : runs)
    notes.insert(run.outcome.collector_notes.begin(), run.outcome.collector_notes.end());
  if (!notes.empty()) std::cout << '\n';
  for (const auto& note : notes) std::cout << "note: " << note << '\n';
  for (const RepeatGroup& repeat : repeats) PrintRepeatSpread(std::cout, repeat);
}

// --repeat N: each scenario N times with the same seed, so the workload (and its hash) stays the
// same and only the system's noise differs; one group per scenario, whose result is each
// figure's spread over the completed runs. Ctrl-C stops after the run it cuts short.
std::vector<RepeatGroup> RunRepeated(const RunCommandOptions& options,
                                     const std::vector<Scenario>& scenarios, RunDriver& driver,
                                     results::ResultsStore& store, const std::atomic<bool>& stop,
                                     std::vector<ReportedRun>& runs) {
  std::vector<RepeatGroup> groups;
  for (const Scenario& scenario : scenarios) {
    if (stop.load()) break;
    results::RunGroup begun{.kind = results::RunGroupKind::kRepeat,
                            .name = fmt::format("repeat x{}: {}", options.repeat, scenario.name)};
    begun.config_json =
        nlohmann::json{{"repeat", options.repeat}, {"scenario", scenario.name}}.dump();
    RepeatGroup group{
        .id = store.BeginGroup(begun), .repeat = options.repeat, .scenario = scenario.name};
    std::vector<std::vector<results::RunMetric>> metrics;
    for (std::int64_t i = 1; i <= options.repeat && !stop.load(); ++i) {
      ReportedRun run = driver.RunPoint(
          scenario, {.label = fmt::format("repeat={}", i), .run_name = fmt::format("#{}", i)},
          group.id, "repeat");
      const RunId id = run.outcome.run;
      if (run.outcome.status == results::RunStatus::kCompleted) {
        group.run_ids.push_back(id);
        // The stored figures, collectors' included: what `compare group:ID` reads too. The
        // run's writer has committed and closed by now.
        metrics.push_back(store.LoadRunMetrics(id));
      } else {
        group.interrupted_run = id;
      }
      runs.push_back(std::move(run));
    }
    group.interrupted = static_cast<std::int64_t>(group.run_ids.size()) < options.repeat;
    group.figures = harness::SpreadOverRuns(metrics);
    store.SetGroupResult(group.id, RepeatGroupJson(group).dump());
    groups.push_back(std::move(group));
  }
  return groups;
}

void SayWhereResultsAre(const RunCommandOptions& options) {
  if (options.json) return;
  std::cout << fmt::format("\nRecorded in {}. List runs: infermeter runs --db {}\n",
                           options.db_path, options.db_path);
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && std::filesystem::exists(self.parent_path() / "infermeter-dashboard")) {
    std::cout << fmt::format("Open the dashboard: {} {}\n",
                             (self.parent_path() / "infermeter-dashboard").string(),
                             options.db_path);
  }
}

// --engine openai without --model: the server's only model, or an error naming its models.
std::string ChooseServedModel(const RunCommandOptions& options, const std::string& api_key) {
  if (options.model_given) return options.reference.model;
  const std::vector<std::string> served =
      engines::ListServedModels(options.openai.engine.base_url, api_key);
  if (served.size() == 1) return served.front();
  throw InputError(
      {.source = "<command line>", .field = "--model"},
      fmt::format("name the model to ask {} for; it serves: {}", options.openai.engine.base_url,
                  served.empty() ? "nothing" : fmt::format("{}", fmt::join(served, ", "))));
}

// Keeps the process (and its metrics endpoint) alive so that a scraper polling every
// `linger_s` seconds or faster sees a short run's final values; Ctrl-C ends it early.
void LingerForScrapers(double linger_s, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(linger_s);
  while (!stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int Run(RunCommandOptions& options) {
  const bool remote = options.engine == "openai";
  if (options.engine != "reference" && !remote) {
    throw InputError({.source = "<command line>", .field = "--engine"},
                     fmt::format("unknown engine '{}'; expected reference (the embedded engine) "
                                 "or openai (an OpenAI-compatible server at --url)",
                                 options.engine));
  }
  if (options.goodput_search && !options.sweep.empty()) {
    throw InputError({.source = "<command line>", .field = "--goodput-search"},
                     "choose either --sweep or --goodput-search");
  }
  if (options.repeat > 1 && (options.goodput_search || !options.sweep.empty())) {
    throw InputError(
        {.source = "<command line>", .field = "--repeat"},
        fmt::format("choose either --repeat or {}: --repeat runs one configuration N times",
                    options.goodput_search ? "--goodput-search" : "--sweep"));
  }
  if ((options.goodput_search || !options.sweep.empty()) && options.workload.workload.empty()) {
    throw InputError({.source = "<command line>",
                      .field = options.goodput_search ? "--goodput-search" : "--sweep"},
                     "name the workload to sweep with --workload (agentic, long-context, "
                     "synthetic or a trace file); the default suite holds two");
  }
  if (options.goodput_search && options.slo.empty()) {
    throw InputError({.source = "<command line>", .field = "--goodput-search"},
                     "a max-goodput search needs --slo (for example --slo ttft=2000,tpot=200)");
  }
  // Fail on bad settings before the model loads (seconds on a small machine).
  (void)ParseSloOption(options.slo);
  CheckMetricsOptions(options.metrics);
  harness::CheckLoadSettings(MakeLoadSettings(
      options.workload,
      !options.workload.concurrency || options.workload.rate_per_s || options.workload.replay,
      std::nullopt));
  if (options.workload.window_start_s && options.workload.window_end_s &&
      *options.workload.window_end_s <= *options.workload.window_start_s) {
    throw InputError({.source = "<command line>", .field = "--window-end"},
                     fmt::format("the window ends at {} s, not after its start at {} s",
                                 *options.workload.window_end_s, *options.workload.window_start_s));
  }
  const bool sweeping = !options.sweep.empty();
  harness::SweepSpec sweep;
  if (sweeping) sweep = harness::ParseSweep(options.sweep, "--sweep");

  std::vector<Scenario> scenarios;
  if (options.workload.workload.empty()) {
    scenarios = DefaultSuite(options.workload);
  } else {
    scenarios.push_back(BuildScenario(options.workload));
  }
  // Opening the store first: a bad --db fails before the engine spends time loading.
  auto store = results::ResultsStore::OpenForWriting(options.db_path);
  // Then the metrics port: an address that was asked for and is taken fails before the engine
  // loads too.
  const std::unique_ptr<exporter::MetricsEndpoint> metrics = OpenMetricsEndpoint(options.metrics);
  exporter::LiveRunExporter live;
  if (metrics) metrics->Add(live.collectable());
  std::unique_ptr<RunCollectors> collectors;
  std::unique_ptr<Engine> engine;
  std::int32_t vocab_size = 0;
  if (remote) {
    engines::OpenAiEngineOptions client = ResolveOpenAiOptions(options.openai, "");
    options.served_model = ChooseServedModel(options, client.api_key);
    client.model = options.served_model;
    options.openai.engine.api_key = client.api_key;  // the config says "given", never the key
    const OpenAiCliOptions& o = options.openai;
    ServerTarget target{.served_model = options.served_model,
                        .metrics_interval_ms = o.server_metrics_interval_ms,
                        .server_kind = o.server_kind};
    if (o.server_metrics) {
      target.metrics_url = o.server_metrics_url.empty() ? ServerRoot(client.base_url) + "/metrics"
                                                        : o.server_metrics_url;
      // Read only when the scrape turns out to be llama.cpp's (its KV figures live there).
      target.slots_url = ServerRoot(client.base_url) + "/slots";
    }
    collectors = std::make_unique<RunCollectors>(options.collectors, target, store);
    if (o.vocab_size > 0) {
      vocab_size = o.vocab_size;
    } else if (collectors->architecture()) {
      vocab_size = static_cast<std::int32_t>(collectors->architecture()->vocab_size);
    } else {
      throw InputError({.source = "<command line>", .field = "--vocab-size"},
                       fmt::format("prompt token ids must stay inside the vocabulary of '{}': give "
                                   "--vocab-size N or an architecture with --cost-model",
                                   options.served_model));
    }
    engine = engines::MakeOpenAiEngine(client);
  } else {
    collectors = std::make_unique<RunCollectors>(options.collectors, options.reference, store);
    options.reference.seed = options.workload.seed;
    engine = MakeEngineBelowScheduler(options.reference);
    vocab_size =
        static_cast<std::int32_t>(engines::ResolveModel(options.reference.model).vocab_size);
  }
  if (!options.json) {
    for (const std::string& note : collectors->notes()) std::cout << "note: " << note << '\n';
  }
  if (options.engine_warmup) WarmUpEngine(*engine);
  const std::atomic<bool>& stop = InstallInterruptHandler();
  RunDriver driver(options, *engine, *collectors, vocab_size, stop, metrics ? &live : nullptr);

  std::vector<ReportedRun> runs;
  nlohmann::json group_json;
  if (options.goodput_search) {
    const Scenario& scenario = scenarios.front();
    results::RunGroup group{.kind = results::RunGroupKind::kGoodputSearch,
                            .name = fmt::format("max goodput: {}", scenario.name)};
    group.config_json =
        nlohmann::json{{"slo", options.slo},
                       {"target_good_fraction", options.search.target_good_fraction},
                       {"initial_rate_per_s", options.search.initial_rate_per_s},
                       {"max_rate_per_s", options.search.max_rate_per_s}}
            .dump();
    const std::int64_t group_id = store.BeginGroup(group);
    // Ctrl-C ends the search after the point being measured; the points so far are kept.
    struct SearchStopped {};
    harness::GoodputSearchResult result;
    std::vector<harness::GoodputPoint> measured;
    try {
      result = harness::SearchMaxGoodput(options.search, [&](double rate) {
        if (stop.load()) throw SearchStopped{};
        ReportedRun run =
            driver.RunPoint(scenario,
                            {.label = harness::PointLabel(harness::SweepParameter::kRate, rate),
                             .rate_per_s = rate},
                            group_id, "goodput_search");
        harness::GoodputPoint point{
            .rate_per_s = rate,
            .good_fraction = run.outcome.summary.good_fraction,
            .valid = run.outcome.verdict.validity == results::Validity::kValid,
            .run = run.outcome.run};
        point.passed = point.valid && point.good_fraction >= options.search.target_good_fraction;
        runs.push_back(std::move(run));
        measured.push_back(point);
        return point;
      });
    } catch (const SearchStopped&) {
      result.points = measured;
      result.conclusion =
          fmt::format("interrupted after {} points; no maximum was established", runs.size());
    }
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : result.points) {
      points.push_back({{"rate_per_s", p.rate_per_s},
                        {"good_fraction", p.good_fraction},
                        {"valid", p.valid},
                        {"passed", p.passed},
                        {"run_id", p.run.value}});
    }
    group_json = {{"id", group_id},
                  {"kind", "goodput_search"},
                  {"max_rate_per_s", result.max_rate_per_s ? nlohmann::json(*result.max_rate_per_s)
                                                           : nlohmann::json(nullptr)},
                  {"conclusion", result.conclusion},
                  {"points", points}};
    if (stop.load()) group_json["interrupted"] = true;
    store.SetGroupResult(group_id, group_json.dump());
    Report(options, runs, group_json);
    if (!options.json) std::cout << "\nmax-goodput search: " << result.conclusion << '\n';
  } else if (options.repeat > 1) {
    const std::vector<RepeatGroup> repeats =
        RunRepeated(options, scenarios, driver, store, stop, runs);
    Report(options, runs, nullptr, repeats);
  } else if (sweeping) {
    const Scenario& scenario = scenarios.front();
    results::RunGroup group{.kind = results::RunGroupKind::kSweep,
                            .name = fmt::format("sweep {}: {}", options.sweep, scenario.name)};
    group.config_json = nlohmann::json{{"sweep", options.sweep}}.dump();
    const std::int64_t group_id = store.BeginGroup(group);
    for (const double value : sweep.values) {
      if (stop.load()) break;
      Point point{.label = harness::PointLabel(sweep.parameter, value)};
      if (sweep.parameter == harness::SweepParameter::kRate) {
        point.rate_per_s = value;
      } else {
        point.concurrency = static_cast<std::int64_t>(value);
      }
      runs.push_back(driver.RunPoint(scenario, point, group_id, "sweep"));
    }
    group_json = {{"id", group_id}, {"kind", "sweep"}, {"sweep", options.sweep}};
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& run : runs) ids.push_back(run.outcome.run.value);
    group_json["run_ids"] = ids;
    store.SetGroupResult(group_id, group_json.dump());
    Report(options, runs, group_json);
  } else {
    std::optional<std::int64_t> group_id;
    if (scenarios.size() > 1) {
      group_id = store.BeginGroup({.kind = results::RunGroupKind::kSuite, .name = "default suite"});
      group_json = {{"id", *group_id}, {"kind", "suite"}};
    }
    for (const Scenario& scenario : scenarios) {
      if (stop.load()) break;
      runs.push_back(driver.RunPoint(scenario, {.label = group_id ? scenario.name : ""}, group_id,
                                     group_id ? "suite" : ""));
      runs.back().scenario = scenario.name;
    }
    Report(options, runs, group_json);
  }
  SayWhereResultsAre(options);
  engine->Shutdown();
  // A stop while lingering cuts only the lingering short: the runs were complete.
  const bool interrupted = stop.load();
  if (metrics && options.metrics.linger_s > 0 && !interrupted) {
    LingerForScrapers(options.metrics.linger_s, stop);
  }
  if (interrupted) return 130;
  return 0;
}

}  // namespace

void AddRunCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<RunCommandOptions>();
  CLI::App* run = app.add_subcommand(
      "run",
      "Replay a workload through an engine and record every request, latency and throughput "
      "figure. With no options: the default suite (agentic + long-context) on the embedded "
      "reference engine with the v4-mini model.");
  AddDbOption(*run, &options->db_path);
  run->add_option("--engine", options->engine,
                  "engine to drive: reference (embedded) or openai (a server at --url; --model is "
                  "then the served model's name)")
      ->capture_default_str();
  AddReferenceEngineOptions(*run, options->reference, /*add_seed_option=*/false);
  AddOpenAiOptions(*run, options->openai);
  CLI::Option* model_option = run->get_option("--model");
  model_option->description(
      "reference engine: built-in model or preset (see `infermeter model list`) or an "
      "architecture file; --engine openai: the served model's name (default: the server's only "
      "model)");

  WorkloadOptions& w = options->workload;
  run->add_option("--workload", w.workload,
                  "agentic, long-context, synthetic, or a trace file (default: the suite)");
  run->add_option("--format", w.format, "trace file format (default: detected)");
  run->add_option("--sessions", w.sessions, "agentic sessions or long-context documents")
      ->check(CLI::PositiveNumber);
  run->add_option("--input-tokens", w.input_tokens,
                  "synthetic input length: N or a distribution (uniform:A:B, lognormal:M:S, ...)")
      ->capture_default_str();
  run->add_option("--output-tokens", w.output_tokens,
                  "synthetic output length: N or a distribution")
      ->capture_default_str();
  run->add_option("--seed", w.seed, "seed of every random choice (workload, arrivals, weights)")
      ->capture_default_str();

  run->add_flag("--replay", w.replay, "send at the trace's own timestamps");
  run->add_option("--time-scale", w.time_scale, "replay: multiply timestamps (0.5 = twice as fast)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  run->add_option("--window-start", w.window_start_s, "replay: first second of the trace to keep")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--window-end", w.window_end_s, "replay: second of the trace to stop at")
      ->check(CLI::PositiveNumber);
  run->add_option("--rate", w.rate_per_s, "open loop: new sessions (requests) per second")
      ->check(CLI::PositiveNumber);
  run->add_option("--arrival", w.arrival, "poisson, gamma or constant")->capture_default_str();
  run->add_option("--burstiness", w.burstiness_cv,
                  "gamma arrivals with this coefficient of variation (1 = Poisson)")
      ->check(CLI::PositiveNumber);
  run->add_option("--ramp-to", w.ramp_to_rate_per_s,
                  "ramp the rate linearly from --rate to this over --ramp-duration")
      ->check(CLI::PositiveNumber);
  run->add_option("--ramp-duration", w.ramp_duration_s, "seconds of the rate ramp")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  run->add_option("--concurrency", w.concurrency,
                  "closed loop with this many requests in flight; with --rate or --replay, a cap")
      ->check(CLI::PositiveNumber);
  run->add_option("--warmup", w.warmup_requests, "first requests sent but not recorded")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  run->add_option("--requests", w.requests, "stop after this many measured requests")
      ->check(CLI::PositiveNumber);
  run->add_option("--duration", options->duration_s, "stop sending after this many seconds")
      ->check(CLI::PositiveNumber);
  run->add_option("--drain-timeout", options->drain_timeout_s,
                  "seconds in-flight requests may run after the last send before cancellation")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);

  run->add_option("--sweep", options->sweep, "rate=1,2,4 or concurrency=1,4,16: one run per value");
  run->add_option("--repeat", options->repeat,
                  "run each scenario N times with the same seed and record each figure's spread "
                  "(coefficient of variation) over the runs")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  run->add_flag("--goodput-search", options->goodput_search,
                "find the highest rate whose good fraction stays >= --goodput-target under --slo");
  run->add_option("--goodput-target", options->search.target_good_fraction,
                  "good fraction the searched rate must keep")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  run->add_option("--search-start-rate", options->search.initial_rate_per_s,
                  "first rate the search tries")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  run->add_option("--search-max-rate", options->search.max_rate_per_s, "highest rate to try")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  run->add_option("--search-points", options->search.max_points, "most runs the search makes")
      ->capture_default_str()
      ->check(CLI::Range(2, 1000));
  run->add_option("--slo", options->slo, "ttft=MS,tpot=MS,itl=MS,e2e=MS for goodput");

  run->add_option("--max-schedule-lag-p99-ms", options->validity.max_schedule_lag_p99_ms,
                  "INVALID when p99 schedule lag is above this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  run->add_option("--max-error-rate", options->validity.max_error_fraction,
                  "INVALID when a larger fraction of requests fails")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  run->add_option("--min-completed", options->validity.min_completed_requests,
                  "INVALID when fewer requests complete")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  run->add_flag("--no-ignore-eos{false}", options->exact_lengths,
                "let the model stop at end-of-sequence (output lengths then vary)");
  run->add_flag("--no-engine-warmup{false}", options->engine_warmup,
                "do not warm the engine's kernels up before the first run");
  run->add_option("--sample-interval", options->sample_interval_s, "seconds between samples")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  AddCollectorOptions(*run, options->collectors);
  AddMetricsOptions(*run, options->metrics, /*with_linger=*/true);
  run->add_option("--label", options->labels, "KEY=VALUE tag for the run (repeatable)");
  run->add_option("--name", options->name, "name of the run (default: the scenario)");
  run->add_flag("--json", options->json, "print the summary as JSON");
  run->add_flag("--no-progress", options->no_progress, "no progress bar or progress lines");
  run->callback([options, action, model_option] {
    options->model_given = model_option->count() > 0;
    *action = [options] { return Run(*options); };
  });
}

}  // namespace infermeter::cli
