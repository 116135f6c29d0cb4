#include "engine_command.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "collecting_sink.h"
#include "db_path.h"
#include "engine_options.h"
#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "infermeter/models/decode_traffic.h"
#include "infermeter/models/flops.h"
#include "infermeter/results/store.h"
#include "table.h"

namespace infermeter::cli {
namespace {

struct GenerateOptions {
  engines::ReferenceEngineOptions engine;
  std::string prompt;
  std::int64_t prompt_tokens = 0;
  std::int64_t max_tokens = 16;
  bool ignore_eos = false;
  double temperature = 0;
  bool json = false;
};

struct RooflineOptions {
  engines::ReferenceEngineOptions engine;
  std::string db_path;
  std::int64_t prompt_tokens = 4096;
  std::int64_t decode_prompt_tokens = 128;
  std::int64_t decode_tokens = 64;
  bool json = false;
};

std::vector<TokenId> RandomPrompt(std::int64_t tokens, std::int64_t vocab, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Skip the reserved ids (padding, end of sequence, begin).
  std::uniform_int_distribution<TokenId> pick(3, static_cast<TokenId>(vocab - 1));
  std::vector<TokenId> ids(static_cast<std::size_t>(tokens));
  for (auto& id : ids) id = pick(rng);
  return ids;
}

// Runs one request to the end. Throws Error when the engine answers with an error.
std::shared_ptr<CollectingSink> RunOne(Engine& engine, EngineRequest request) {
  auto sink = std::make_shared<CollectingSink>();
  engine.Submit(std::move(request), sink);
  sink->Wait();
  if (sink->failure()) throw Error("the engine refused the request: " + sink->failure()->message);
  return sink;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// Inter-token intervals of a request's chunks, in seconds.
std::vector<double> InterTokenSeconds(const CollectingSink& sink) {
  std::vector<double> out;
  const auto& chunks = sink.chunks();
  for (std::size_t i = 1; i < chunks.size(); ++i) {
    out.push_back(static_cast<double>(chunks[i].engine_time_ns - chunks[i - 1].engine_time_ns) /
                  1e9);
  }
  return out;
}

nlohmann::json FlopsJson(const FlopsByOpClass& flops) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t i = 0; i < kOpClassCount; ++i) {
    out[std::string(ToString(static_cast<OpClass>(i)))] = flops[i];
  }
  return out;
}

FlopsByOpClass Minus(const FlopsByOpClass& a, const FlopsByOpClass& b) {
  FlopsByOpClass out{};
  for (std::size_t i = 0; i < kOpClassCount; ++i) out[i] = a[i] - b[i];
  return out;
}

double Sum(const FlopsByOpClass& flops) {
  double total = 0;
  for (const double f : flops) total += f;
  return total;
}

int RunGenerate(const GenerateOptions& options) {
  const auto engine = engines::MakeReferenceEngine(options.engine);
  EngineRequest request;
  request.id = RequestId(1);
  request.prompt_text = options.prompt;
  if (options.prompt.empty()) {
    const auto arch = engines::ResolveModel(options.engine.model);
    request.prompt_tokens = RandomPrompt(std::max<std::int64_t>(options.prompt_tokens, 1),
                                         arch.vocab_size, options.engine.seed + 1);
  }
  request.max_output_tokens = options.max_tokens;
  request.ignore_eos = options.ignore_eos;
  request.sampling.temperature = options.temperature;
  const std::int64_t submitted_ns = MonotonicNs();
  const auto sink = RunOne(*engine, std::move(request));
  const EngineStats stats = engine->Stats();

  std::vector<TokenId> generated;
  for (const auto& chunk : sink->chunks()) {
    generated.insert(generated.end(), chunk.tokens.begin(), chunk.tokens.end());
  }
  const double ttft_s =
      sink->chunks().empty()
          ? 0
          : static_cast<double>(sink->chunks().front().engine_time_ns - submitted_ns) / 1e9;
  const double itl_s = Median(InterTokenSeconds(*sink));
  const auto& usage = sink->finish()->usage;
  if (options.json) {
    nlohmann::json out = {{"engine", engine->Describe().details},
                          {"model", engine->Describe().model},
                          {"tokens", generated},
                          {"finish_reason", ToString(sink->finish()->reason)},
                          {"prompt_tokens", usage.prompt_tokens},
                          {"cached_prompt_tokens", usage.cached_prompt_tokens},
                          {"completion_tokens", usage.completion_tokens},
                          {"ttft_s", ttft_s},
                          {"median_itl_s", itl_s},
                          {"flops", FlopsJson(stats.flops)},
                          {"kv_peak_used_bytes", stats.kv_peak_used_bytes}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("{}: {}\n", engine->Describe().model, engine->Describe().details);
  std::cout << fmt::format(
      "prompt {} tokens, generated {} ({}), TTFT {:.1f} ms, median ITL {:.2f} ms\n",
      usage.prompt_tokens, usage.completion_tokens, ToString(sink->finish()->reason), ttft_s * 1e3,
      itl_s * 1e3);
  std::cout << "tokens:";
  for (const TokenId id : generated) std::cout << ' ' << id;
  std::cout << "\n\n";
  TextTable flops;
  flops.AddColumn("op class");
  flops.AddColumn("GFLOP", TextTable::Align::kRight);
  for (std::size_t i = 0; i < kOpClassCount; ++i) {
    flops.AddRow({std::string(ToString(static_cast<OpClass>(i))),
                  fmt::format("{:.3f}", stats.flops[i] / 1e9)});
  }
  flops.AddRow({"total", fmt::format("{:.3f}", stats.TotalFlops() / 1e9)});
  flops.Print(std::cout);
  std::cout << "\n";
  TextTable kv;
  kv.AddColumn("KV kind");
  for (const char* header : {"used bytes", "allocated bytes", "peak used bytes"}) {
    kv.AddColumn(header, TextTable::Align::kRight);
  }
  for (const auto& kind : stats.kv_by_kind) {
    kv.AddRow({kind.kind, std::to_string(kind.used_bytes), std::to_string(kind.allocated_bytes),
               std::to_string(kind.peak_used_bytes)});
  }
  kv.Print(std::cout);
  return 0;
}

// The newest full (non-quick) measured peak for `metric`/`dtype` on this host, or nullopt.
std::optional<results::HardwarePeak> FindPeak(const std::vector<results::HardwarePeak>& peaks,
                                              const std::string& metric, const std::string& dtype) {
  std::optional<results::HardwarePeak> best;
  for (const auto& peak : peaks) {
    if (peak.metric != metric || peak.dtype != dtype) continue;
    if (!best || peak.measured_unix_ns > best->measured_unix_ns) best = peak;
  }
  return best;
}

int RunRoofline(const RooflineOptions& options) {
  if (!std::filesystem::exists(options.db_path)) {
    throw Error(
        fmt::format("no results database at '{}' to read measured peaks from; run "
                    "`infermeter probe --db {}` first",
                    options.db_path, options.db_path));
  }
  auto store = results::ResultsStore::OpenForReading(options.db_path);
  const auto peaks = store.LoadHardwarePeaks();
  const auto gemm_peak = FindPeak(peaks, "gemm_flops_per_s", "bf16");
  const auto bandwidth = FindPeak(peaks, "memory_bandwidth_bytes_per_s", "");
  if (!gemm_peak || !bandwidth) {
    throw Error(
        fmt::format("{} has no measured BF16 GEMM peak or memory bandwidth; run "
                    "`infermeter probe --db {}` first",
                    options.db_path, options.db_path));
  }

  engines::ReferenceEngineOptions engine_options = options.engine;
  // The whole prompt in one step, so the step's time is the prefill's time.
  engine_options.max_step_tokens = std::max(engine_options.max_step_tokens, options.prompt_tokens);
  engine_options.prefix_caching = false;
  const auto engine = engines::MakeReferenceEngine(engine_options);
  const auto arch = engines::ResolveModel(engine_options.model);

  // Warm-up: oneDNN builds its kernels on first use.
  EngineRequest warm;
  warm.id = RequestId(1);
  warm.prompt_tokens = RandomPrompt(64, arch.vocab_size, 7);
  warm.max_output_tokens = 4;
  warm.ignore_eos = true;
  RunOne(*engine, warm);

  // Prefill: one request, one output token; its time is from submission to the first token.
  EngineRequest prefill;
  prefill.id = RequestId(2);
  prefill.prompt_tokens = RandomPrompt(options.prompt_tokens, arch.vocab_size, 11);
  prefill.max_output_tokens = 1;
  prefill.ignore_eos = true;
  const FlopsByOpClass before_prefill = engine->Stats().flops;
  const std::int64_t submitted_ns = MonotonicNs();
  const auto prefill_sink = RunOne(*engine, prefill);
  const double prefill_s =
      static_cast<double>(prefill_sink->chunks().front().engine_time_ns - submitted_ns) / 1e9;
  const FlopsByOpClass prefill_flops = Minus(engine->Stats().flops, before_prefill);
  const double prefill_rate = Sum(prefill_flops) / prefill_s;
  const double gemm_share = (prefill_flops[0] + prefill_flops[1]) / Sum(prefill_flops);

  // Decode at batch 1: the median time between tokens against the bytes a step must read.
  EngineRequest decode;
  decode.id = RequestId(3);
  decode.prompt_tokens = RandomPrompt(options.decode_prompt_tokens, arch.vocab_size, 13);
  decode.max_output_tokens = options.decode_tokens;
  decode.ignore_eos = true;
  const auto decode_sink = RunOne(*engine, decode);
  const double itl_s = Median(InterTokenSeconds(*decode_sink));
  const std::int64_t mid_context = options.decode_prompt_tokens + options.decode_tokens / 2;
  const models::CacheFormat format = [&] {
    models::CacheFormat f = models::DefaultCacheFormat(arch);
    if (auto kv = models::ParseKvFormat(engine_options.kv_format)) f.kv = *kv;
    if (auto k = models::ParseIndexerKeyFormat(engine_options.indexer_key_format)) {
      f.indexer_keys = *k;
    }
    return f;
  }();
  const models::DecodeTraffic traffic =
      models::DecodeStepTraffic(arch, mid_context, 1, *models::FindWeightFormat("bf16"), format);
  const double decode_bytes = traffic.weight_bytes + traffic.kv_read_bytes;
  const double decode_rate = decode_bytes / itl_s;

  const double prefill_ratio = prefill_rate / gemm_peak->value;
  const double decode_ratio = decode_rate / bandwidth->value;
  if (options.json) {
    nlohmann::json out = {{"model", arch.name},
                          {"engine", engine->Describe().details},
                          {"bf16_gemm_peak_flops_per_s", gemm_peak->value},
                          {"bf16_gemm_peak_method", gemm_peak->method},
                          {"memory_bandwidth_bytes_per_s", bandwidth->value},
                          {"prefill",
                           {{"prompt_tokens", options.prompt_tokens},
                            {"seconds", prefill_s},
                            {"flops", FlopsJson(prefill_flops)},
                            {"flops_per_s", prefill_rate},
                            {"gemm_flop_share", gemm_share},
                            {"fraction_of_peak", prefill_ratio}}},
                          {"decode",
                           {{"batch", 1},
                            {"context_tokens", mid_context},
                            {"median_itl_s", itl_s},
                            {"bytes_per_token", decode_bytes},
                            {"weight_bytes_per_token", traffic.weight_bytes},
                            {"kv_bytes_per_token", traffic.kv_read_bytes},
                            {"bytes_per_s", decode_rate},
                            {"fraction_of_bandwidth", decode_ratio}}}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("{}: {}\n\n", arch.name, engine->Describe().details);
  TextTable table;
  for (const char* header : {"phase", "measured", "roofline input", "peak", "fraction"}) {
    table.AddColumn(header);
  }
  table.AddRow(
      {fmt::format("prefill {} tokens", options.prompt_tokens),
       fmt::format("{:.1f} GFLOP/s ({:.3f} s)", prefill_rate / 1e9, prefill_s),
       fmt::format("{:.1f} GFLOP ({:.0f}% GEMM)", Sum(prefill_flops) / 1e9, gemm_share * 100),
       fmt::format("{:.1f} GFLOP/s bf16", gemm_peak->value / 1e9),
       fmt::format("{:.1f}%", prefill_ratio * 100)});
  table.AddRow({fmt::format("decode batch 1 @ {}", mid_context),
                fmt::format("{:.2f} GB/s ({:.2f} ms/token)", decode_rate / 1e9, itl_s * 1e3),
                fmt::format("{:.1f} MB/token", decode_bytes / 1e6),
                fmt::format("{:.2f} GB/s", bandwidth->value / 1e9),
                fmt::format("{:.1f}%", decode_ratio * 100)});
  table.Print(std::cout);
  return 0;
}

}  // namespace

void AddEngineCommand(CLI::App& app, CommandAction* action) {
  auto* engine =
      app.add_subcommand("engine", "Drive the embedded reference engine directly (no harness)");
  engine->require_subcommand(1);

  auto generate_options = std::make_shared<GenerateOptions>();
  auto* generate = engine->add_subcommand(
      "generate", "Run one request and show its tokens, latency, FLOPs by op class and KV bytes");
  AddReferenceEngineOptions(*generate, generate_options->engine);
  generate->add_option("--prompt", generate_options->prompt, "prompt text (tokenized as bytes)");
  generate
      ->add_option("--prompt-tokens", generate_options->prompt_tokens,
                   "random prompt of this many tokens (when --prompt is not given)")
      ->capture_default_str();
  generate->add_option("--max-tokens", generate_options->max_tokens, "tokens to generate")
      ->capture_default_str();
  generate->add_flag("--ignore-eos", generate_options->ignore_eos,
                     "generate exactly --max-tokens tokens");
  generate->add_option("--temperature", generate_options->temperature, "0: greedy")
      ->capture_default_str();
  generate->add_flag("--json", generate_options->json, "print JSON");
  generate->callback([generate_options, action] {
    if (generate_options->prompt.empty() && generate_options->prompt_tokens <= 0) {
      generate_options->prompt_tokens = 32;
    }
    *action = [generate_options] { return RunGenerate(*generate_options); };
  });

  auto roofline_options = std::make_shared<RooflineOptions>();
  auto* roofline = engine->add_subcommand(
      "roofline",
      "Measure prefill FLOP/s and batch-1 decode bandwidth against the probe's measured peaks");
  AddReferenceEngineOptions(*roofline, roofline_options->engine);
  AddDbOption(*roofline, &roofline_options->db_path);
  roofline
      ->add_option("--prompt-tokens", roofline_options->prompt_tokens,
                   "prompt length of the prefill measurement")
      ->capture_default_str();
  roofline
      ->add_option("--decode-prompt-tokens", roofline_options->decode_prompt_tokens,
                   "prompt length before the decode measurement")
      ->capture_default_str();
  roofline
      ->add_option("--decode-tokens", roofline_options->decode_tokens,
                   "tokens generated in the decode measurement")
      ->capture_default_str();
  roofline->add_flag("--json", roofline_options->json, "print JSON");
  roofline->callback([roofline_options, action] {
    *action = [roofline_options] { return RunRoofline(*roofline_options); };
  });
}

}  // namespace infermeter::cli
