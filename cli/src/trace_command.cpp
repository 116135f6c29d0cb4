#include "trace_command.h"

#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/core/error.h"
#include "infermeter/workloads/arrival.h"
#include "infermeter/workloads/export.h"
#include "infermeter/workloads/generators.h"
#include "infermeter/workloads/import.h"
#include "infermeter/workloads/summary.h"
#include "table.h"

namespace infermeter::cli {
namespace {

namespace wl = infermeter::workloads;

// Import options as the command line gives them (text, parsed once the command runs so that
// errors carry the option's name).
struct ImportFlags {
  std::string format;
  std::string on_bad_record = "fail";
  std::int64_t block_size_tokens = wl::kDefaultBlockSizeTokens;
  std::string estimator = "wordpiece";
  std::string tool_time_ms = "fixed:1000";
  std::string user_think_time_ms = "fixed:0";
  std::uint64_t seed = 0;
};

void AddImportFlags(CLI::App& command, ImportFlags* flags) {
  command.add_option("--format", flags->format,
                     "Input format (default: detected): mooncake, azure, burstgpt, sharegpt, "
                     "chat-trajectories, infermeter-jsonl");
  command
      .add_option("--on-bad-record", flags->on_bad_record,
                  "fail: stop at the first malformed record; skip: count and skip it")
      ->capture_default_str();
  command
      .add_option("--block-size", flags->block_size_tokens, "Block size in tokens for text formats")
      ->capture_default_str();
  command
      .add_option("--tokenizer-estimate", flags->estimator,
                  "Token counts of text formats: wordpiece or bytes")
      ->capture_default_str();
  command
      .add_option("--tool-time-ms", flags->tool_time_ms,
                  "Tool execution time when a trajectory does not record it (distribution)")
      ->capture_default_str();
  command
      .add_option("--user-think-ms", flags->user_think_time_ms,
                  "Time before a user message in text conversations (distribution)")
      ->capture_default_str();
  command.add_option("--seed", flags->seed, "Seed for the two distributions above")
      ->capture_default_str();
}

wl::ImportResult Import(const std::string& path, const ImportFlags& flags) {
  wl::ImportOptions options;
  options.format = flags.format;
  options.on_bad_record = wl::ParseOnBadRecord(flags.on_bad_record, "--on-bad-record");
  options.block_size_tokens = flags.block_size_tokens;
  options.estimator = wl::ParseEstimator(flags.estimator, "--tokenizer-estimate");
  options.tool_time_ms = wl::ParseDistribution(flags.tool_time_ms, "--tool-time-ms");
  options.user_think_time_ms = wl::ParseDistribution(flags.user_think_time_ms, "--user-think-ms");
  options.seed = flags.seed;
  return wl::ImportTraceFile(path, options);
}

// Skips and notes go to stderr so that stdout stays a clean table or JSON document.
void ReportImport(const wl::ImportResult& result) {
  if (result.records_skipped > 0) {
    std::cerr << fmt::format("infermeter: skipped {} bad records; the first ones:\n",
                             result.records_skipped);
    for (const auto& message : result.skipped_examples) std::cerr << "  " << message << '\n';
  }
  for (const auto& note : result.notes) std::cerr << "infermeter: note: " << note << '\n';
}

nlohmann::json StatsJson(const wl::TokenStats& s) {
  return {{"min", s.min}, {"p50", s.p50}, {"p90", s.p90},
          {"p99", s.p99}, {"max", s.max}, {"mean", s.mean}};
}

struct InspectOptions {
  std::string path;
  ImportFlags import;
  bool json = false;
};

int Inspect(const InspectOptions& options) {
  const wl::ImportResult result = Import(options.path, options.import);
  ReportImport(result);
  const wl::TraceSummary s = wl::Summarize(result.trace);
  if (options.json) {
    // Exactly the keys of the contract; nothing else.
    const nlohmann::json j = {{"format", result.format},
                              {"requests", s.requests},
                              {"sessions", s.sessions},
                              {"duration_s", s.duration_s},
                              {"input_tokens", StatsJson(s.input_tokens)},
                              {"output_tokens", StatsJson(s.output_tokens)},
                              {"prefix_reuse_ratio", s.prefix_reuse_ratio}};
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  std::cout << fmt::format("file               {}\n", options.path);
  std::cout << fmt::format("format             {}\n", result.format);
  if (s.format != result.format) std::cout << fmt::format("source             {}\n", s.format);
  std::cout << fmt::format("token counts       {}\n", s.token_count_method);
  std::cout << fmt::format("requests           {}\n", s.requests);
  std::cout << fmt::format("sessions           {}\n", s.sessions);
  std::cout << fmt::format("turns per session  {:.2f} (mean)\n", s.mean_turns_per_session);
  std::cout << fmt::format("duration           {:.3f} s{}\n", s.duration_s,
                           s.duration_is_lower_bound
                               ? " (lower bound: counts arrivals and think times, not model time)"
                               : "");
  std::cout << fmt::format("mean rate          {:.3f} requests/s\n", s.mean_rate_per_s);
  std::cout << fmt::format("prefix reuse       {:.4f} (infinite cache of {}-token blocks)\n",
                           s.prefix_reuse_ratio, s.block_size_tokens);
  if (s.failed_requests > 0) {
    std::cout << fmt::format("failed (kept)      {}\n", s.failed_requests);
  }
  if (result.records_skipped > 0) {
    std::cout << fmt::format("skipped records    {}\n", result.records_skipped);
  }
  std::cout << '\n';
  TextTable table;
  using Align = TextTable::Align;
  table.AddColumn("TOKENS");
  for (const char* h : {"MIN", "P50", "P90", "P99", "MAX", "MEAN"})
    table.AddColumn(h, Align::kRight);
  for (const auto& [name, st] :
       {std::pair{"input", s.input_tokens}, std::pair{"output", s.output_tokens}}) {
    table.AddRow({name, std::to_string(st.min), std::to_string(st.p50), std::to_string(st.p90),
                  std::to_string(st.p99), std::to_string(st.max), fmt::format("{:.1f}", st.mean)});
  }
  table.Print(std::cout);
  return 0;
}

struct ConvertOptions {
  std::string path;
  ImportFlags import;
  std::string to = "infermeter-jsonl";
  std::string out;
};

int Convert(const ConvertOptions& options) {
  if (options.to != wl::kFormatInfermeterJsonl) {
    throw InputError(
        {.source = "<command line>", .field = "--to"},
        fmt::format("'{}' is not an output format; expected infermeter-jsonl", options.to));
  }
  const wl::ImportResult result = Import(options.path, options.import);
  ReportImport(result);
  wl::WriteInfermeterJsonlFile(result.trace, options.out);
  std::cerr << fmt::format("infermeter: wrote {} requests in {} sessions to {} ({})\n",
                           wl::RequestCount(result.trace), result.trace.sessions.size(),
                           options.out, wl::TraceContentHash(result.trace));
  return 0;
}

// Generator options, as text where they are distributions.
struct GenerateOptions {
  std::string kind;
  std::string out;
  std::uint64_t seed = 0;
  std::int64_t block_size_tokens = wl::kDefaultBlockSizeTokens;
  std::string arrival = "poisson";
  double rate_per_s = 1.0;
  double burstiness_cv = 1.0;
  // synthetic
  std::int64_t requests = 1000;
  std::string input_tokens = "fixed:1024";
  std::string output_tokens = "fixed:128";
  std::int64_t prefix_groups = 0;
  std::int64_t prefix_tokens = 0;
  // long-context
  std::int64_t documents = 20;
  std::string document_tokens = "lognormal:32768:1.0";
  std::int64_t max_document_tokens = 1'000'000;
  std::int64_t questions = 4;
  std::string question_tokens = "uniform:20:200";
  std::string answer_tokens = "uniform:50:500";
  std::string think_time_ms = "exponential:5000";
  // agentic
  std::int64_t sessions = 50;
  std::int64_t turns = 10;
  std::int64_t system_prompt_tokens = 2000;
  std::int64_t tool_schema_tokens = 3000;
  std::string user_tokens = "uniform:50:300";
  std::string tool_result_tokens = "lognormal:400:1.0";
  std::string agent_answer_tokens = "lognormal:150:0.8";
  std::string tool_latency_ms = "lognormal:300:1.0";
  double parallel_probability = 0.0;
  std::int64_t parallel_calls = 3;
};

int Generate(const GenerateOptions& o) {
  wl::ArrivalSettings arrivals;
  arrivals.kind = wl::ParseArrivalKind(o.arrival, "--arrival");
  arrivals.rate_per_s = o.rate_per_s;
  arrivals.burstiness_cv = o.burstiness_cv;
  const auto dist = [](const std::string& text, const char* option) {
    return wl::ParseDistribution(text, option);
  };
  wl::Trace trace;
  if (o.kind == "synthetic") {
    wl::SyntheticSettings s;
    s.requests = o.requests;
    s.input_tokens = dist(o.input_tokens, "--input-tokens");
    s.output_tokens = dist(o.output_tokens, "--output-tokens");
    s.prefix_groups = o.prefix_groups;
    s.prefix_tokens = o.prefix_tokens;
    s.block_size_tokens = o.block_size_tokens;
    s.arrivals = arrivals;
    s.seed = o.seed;
    trace = wl::GenerateSynthetic(s);
  } else if (o.kind == "long-context") {
    wl::LongContextSettings s;
    s.documents = o.documents;
    s.document_tokens = dist(o.document_tokens, "--document-tokens");
    s.document_tokens.min = 1;
    s.document_tokens.max = static_cast<double>(o.max_document_tokens);
    s.questions_per_document = o.questions;
    s.question_tokens = dist(o.question_tokens, "--question-tokens");
    s.answer_tokens = dist(o.answer_tokens, "--answer-tokens");
    s.think_time_ms = dist(o.think_time_ms, "--think-time-ms");
    s.block_size_tokens = o.block_size_tokens;
    s.arrivals = arrivals;
    s.seed = o.seed;
    trace = wl::GenerateLongContext(s);
  } else {
    wl::AgenticSettings s;
    s.sessions = o.sessions;
    s.turns = o.turns;
    s.system_prompt_tokens = o.system_prompt_tokens;
    s.tool_schema_tokens = o.tool_schema_tokens;
    s.user_tokens = dist(o.user_tokens, "--user-tokens");
    s.tool_result_tokens = dist(o.tool_result_tokens, "--tool-result-tokens");
    s.answer_tokens = dist(o.agent_answer_tokens, "--answer-tokens");
    s.tool_latency_ms = dist(o.tool_latency_ms, "--tool-latency-ms");
    s.parallel_probability = o.parallel_probability;
    s.parallel_calls = o.parallel_calls;
    s.block_size_tokens = o.block_size_tokens;
    s.arrivals = arrivals;
    s.seed = o.seed;
    trace = wl::GenerateAgentic(s);
  }
  wl::CheckTrace(trace, o.kind);
  wl::WriteInfermeterJsonlFile(trace, o.out);
  std::cerr << fmt::format("infermeter: wrote {} requests in {} sessions to {} ({})\n",
                           wl::RequestCount(trace), trace.sessions.size(), o.out,
                           wl::TraceContentHash(trace));
  return 0;
}

void AddGenerate(CLI::App& trace, CommandAction* action) {
  for (const char* kind : {"synthetic", "long-context", "agentic"}) {
    auto o = std::make_shared<GenerateOptions>();
    o->kind = kind;
    CLI::App* c =
        trace.add_subcommand(kind, fmt::format("Generate {} {} workload as infermeter-jsonl",
                                               kind[0] == 'a' ? "an" : "a", kind));
    c->add_option("-o,--output", o->out, "Output file")->required();
    c->add_option("--seed", o->seed, "Seed; equal settings and seed give the same file")
        ->capture_default_str();
    c->add_option("--block-size", o->block_size_tokens, "Block size in tokens")
        ->capture_default_str();
    c->add_option("--arrival", o->arrival, "Arrival process: poisson, gamma or constant")
        ->capture_default_str();
    c->add_option("--rate", o->rate_per_s,
                  "Arrivals per second (requests for synthetic, sessions otherwise)")
        ->capture_default_str();
    c->add_option("--burstiness", o->burstiness_cv,
                  "Gamma arrivals: coefficient of variation of the gaps (1 = Poisson)")
        ->capture_default_str();
    const std::string d =
        " (distribution: fixed:V, uniform:MIN:MAX, normal:MEAN:SD, "
        "lognormal:MEDIAN:SIGMA, exponential:MEAN)";
    if (o->kind == "synthetic") {
      c->add_option("--requests", o->requests, "Number of requests")->capture_default_str();
      c->add_option("--input-tokens", o->input_tokens, "Input tokens after any prefix" + d)
          ->capture_default_str();
      c->add_option("--output-tokens", o->output_tokens, "Output tokens" + d)
          ->capture_default_str();
      c->add_option("--prefix-groups", o->prefix_groups, "Shared-prefix groups (0 = none)")
          ->capture_default_str();
      c->add_option("--prefix-tokens", o->prefix_tokens, "Tokens of each group's shared prefix")
          ->capture_default_str();
    } else if (o->kind == "long-context") {
      c->add_option("--documents", o->documents, "Documents (sessions)")->capture_default_str();
      c->add_option("--document-tokens", o->document_tokens, "Document length" + d)
          ->capture_default_str();
      c->add_option("--max-document-tokens", o->max_document_tokens,
                    "Longest document; longer draws are drawn again")
          ->capture_default_str();
      c->add_option("--questions", o->questions, "Questions per document")->capture_default_str();
      c->add_option("--question-tokens", o->question_tokens, "Question length" + d)
          ->capture_default_str();
      c->add_option("--answer-tokens", o->answer_tokens, "Answer length" + d)
          ->capture_default_str();
      c->add_option("--think-time-ms", o->think_time_ms, "Time before the next question" + d)
          ->capture_default_str();
    } else {
      c->add_option("--sessions", o->sessions, "Agent sessions")->capture_default_str();
      c->add_option("--turns", o->turns, "Steps per session")->capture_default_str();
      c->add_option("--system-prompt-tokens", o->system_prompt_tokens,
                    "System prompt shared by all sessions")
          ->capture_default_str();
      c->add_option("--tool-schema-tokens", o->tool_schema_tokens,
                    "Tool schema shared by all sessions")
          ->capture_default_str();
      c->add_option("--user-tokens", o->user_tokens, "The user's task" + d)->capture_default_str();
      c->add_option("--tool-result-tokens", o->tool_result_tokens, "Each tool result" + d)
          ->capture_default_str();
      c->add_option("--answer-tokens", o->agent_answer_tokens, "Each model answer" + d)
          ->capture_default_str();
      c->add_option("--tool-latency-ms", o->tool_latency_ms, "Each tool call's time" + d)
          ->capture_default_str();
      c->add_option("--parallel-probability", o->parallel_probability,
                    "Chance that a step fans out into parallel tool calls")
          ->capture_default_str();
      c->add_option("--parallel-calls", o->parallel_calls, "Concurrent requests in a fan-out")
          ->capture_default_str();
    }
    c->callback([o, action] { *action = [o] { return Generate(*o); }; });
  }
}

}  // namespace

void AddTraceCommand(CLI::App& app, CommandAction* action) {
  CLI::App* trace = app.add_subcommand("trace", "Inspect, convert and generate workload traces");
  trace->require_subcommand(1);

  auto inspect = std::make_shared<InspectOptions>();
  CLI::App* i = trace->add_subcommand("inspect", "Print statistics of a trace file");
  i->add_option("file", inspect->path, "Trace file")->required();
  AddImportFlags(*i, &inspect->import);
  i->add_flag("--json", inspect->json, "Print one JSON object");
  i->callback([inspect, action] { *action = [inspect] { return Inspect(*inspect); }; });

  auto convert = std::make_shared<ConvertOptions>();
  CLI::App* c = trace->add_subcommand("convert", "Convert a trace to infermeter-jsonl");
  c->add_option("file", convert->path, "Trace file")->required();
  AddImportFlags(*c, &convert->import);
  c->add_option("--to", convert->to, "Output format (infermeter-jsonl)")->capture_default_str();
  c->add_option("-o,--output", convert->out, "Output file")->required();
  c->callback([convert, action] { *action = [convert] { return Convert(*convert); }; });

  CLI::App* g = trace->add_subcommand("generate", "Generate a seeded workload");
  g->require_subcommand(1);
  AddGenerate(*g, action);
}

}  // namespace infermeter::cli
