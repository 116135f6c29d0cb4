// Server detection and the mapping to normalized figures on every body in
// tests/data/server-metrics: each figure exact, with the metric it came from and how series were
// combined; percent normalisation; the rows a scrape gives the samples table, with the bound on
// an unknown server's raw series.
#include "infermeter/collectors/server_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

std::string Read(const std::string& name) {
  const char* dir = std::getenv("INFERMETER_SOURCE_DIR");
  const auto path =
      std::filesystem::path(dir ? dir : ".") / "tests" / "data" / "server-metrics" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The text with every line containing `needle` removed (the test fails when there is none).
std::string DropLines(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string line, out;
  int dropped = 0;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos) {
      ++dropped;
      continue;
    }
    out += line + "\n";
  }
  EXPECT_GT(dropped, 0) << needle;
  return out;
}

// The text with `from` replaced by `to` (once; the test fails when `from` is not there).
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

ServerMetrics Normalize(const std::string& text) {
  return NormalizeServerMetrics(ParsePrometheusText(text, "test"));
}

ServerMetrics NormalizeFixture(const std::string& name) { return Normalize(Read(name)); }

// Checks one figure: its value and where it came from.
void ExpectFigure(const std::optional<ServerFigure>& figure, double value,
                  const std::string& source, std::size_t series = 1,
                  const std::string& combine = "", const std::vector<std::string>& varying = {}) {
  ASSERT_TRUE(figure.has_value()) << source;
  EXPECT_DOUBLE_EQ(figure->value, value) << source;
  EXPECT_EQ(figure->source, source);
  EXPECT_EQ(figure->series, series) << source;
  EXPECT_EQ(figure->combine, combine) << source;
  EXPECT_EQ(figure->varying_labels, varying) << source;
}

bool HasNote(const ServerMetrics& m, const std::string& part) {
  for (const std::string& note : m.notes) {
    if (note.find(part) != std::string::npos) return true;
  }
  return false;
}

std::string Notes(const ServerMetrics& m) {
  std::string text;
  for (const std::string& note : m.notes) text += note + "\n";
  return text;
}

// ---------------------------------------------------------------------------------------------
// Detection.

TEST(ServerMetrics, DetectsEachServer) {
  const std::vector<std::pair<std::string, ServerKind>> cases = {
      {"vllm_v1.txt", ServerKind::kVllm},
      {"vllm_legacy.txt", ServerKind::kVllm},
      {"vllm_openmetrics.txt", ServerKind::kVllm},
      {"sglang.txt", ServerKind::kSglang},
      {"tgi.txt", ServerKind::kTgi},
      {"triton_trtllm.txt", ServerKind::kTriton},
      {"trtllm_serve.txt", ServerKind::kTrtllmServe},
      {"llamacpp.txt", ServerKind::kLlamaCpp},
      {"mindie.txt", ServerKind::kMindIe},
      {"unknown_scalellm.txt", ServerKind::kUnknown},
  };
  for (const auto& [file, kind] : cases) {
    EXPECT_EQ(DetectServer(ParsePrometheusText(Read(file), file)), kind) << file;
  }
  EXPECT_EQ(ToString(ServerKind::kVllm), "vllm");
  EXPECT_EQ(ToString(ServerKind::kLlamaCpp), "llama.cpp");
  EXPECT_EQ(ToString(ServerKind::kTrtllmServe), "trtllm-serve");
  EXPECT_EQ(ToString(ServerKind::kMindIe), "mindie");
  EXPECT_EQ(ToString(ServerKind::kUnknown), "unknown");
}

TEST(ServerMetrics, DetectionRulesAtTheirEdges) {
  auto detect = [](const std::string& text) {
    return DetectServer(ParsePrometheusText(text, "edge"));
  };
  EXPECT_EQ(detect(""), ServerKind::kUnknown);
  // A family declared without samples is enough (vLLM before its first request).
  EXPECT_EQ(detect("# TYPE vllm:num_requests_running gauge\n"), ServerKind::kVllm);
  // Triton without the TensorRT-LLM backend.
  EXPECT_EQ(detect("nv_inference_request_success{model=\"m\",version=\"1\"} 1\n"),
            ServerKind::kTriton);
  // MindIE without npu_cache_usage_perc: running requests together with received requests
  // (OpenMetrics names the counter family without _total).
  EXPECT_EQ(detect("num_requests_running 1\nrequest_received_total 3\n"), ServerKind::kMindIe);
  EXPECT_EQ(detect("# TYPE request_received counter\nrequest_received_total 3\n"
                   "num_requests_running 1\n"),
            ServerKind::kMindIe);
  // Either alone is any server's name.
  EXPECT_EQ(detect("num_requests_running 1\n"), ServerKind::kUnknown);
  EXPECT_EQ(detect("request_received_total 1\n"), ServerKind::kUnknown);
  // vLLM's TGI-compatible names do not hide vLLM; Dynamo's runtime metrics do not hide trtllm.
  EXPECT_EQ(detect("tgi_queue_size 1\nvllm:num_requests_running 2\n"), ServerKind::kVllm);
  EXPECT_EQ(detect("dynamo_component_requests_total 1\ntrtllm_num_requests_running 2\n"),
            ServerKind::kTrtllmServe);
}

// ---------------------------------------------------------------------------------------------
// vLLM.

TEST(ServerMetrics, VllmV1TwoEngines) {
  const ServerMetrics m = NormalizeFixture("vllm_v1.txt");
  EXPECT_EQ(m.server, ServerKind::kVllm);
  EXPECT_EQ(m.mapping, "vllm");
  const std::vector<std::string> engine = {"engine"};
  ExpectFigure(m.kv_usage_ratio, 0.375, "vllm:kv_cache_usage_perc", 2, "mean", engine);
  // 2 engines × 27845 blocks × 16 tokens.
  ExpectFigure(m.kv_capacity_tokens, 891040,
               "vllm:cache_config_info{num_gpu_blocks} * vllm:cache_config_info{block_size}", 2,
               "sum", engine);
  // 0.4375 × 445520 + 0.3125 × 445520.
  ExpectFigure(m.kv_used_tokens, 334140,
               "vllm:kv_cache_usage_perc * kv_capacity_tokens (per engine)", 2, "sum", engine);
  ExpectFigure(m.running_requests, 22, "vllm:num_requests_running", 2, "sum", engine);
  ExpectFigure(m.waiting_requests, 4, "vllm:num_requests_waiting", 2, "sum", engine);
  ExpectFigure(m.preemptions_total, 7, "vllm:num_preemptions_total", 2, "sum", engine);
  ExpectFigure(m.prefix_cache_hits_total, 1536000, "vllm:prefix_cache_hits_total", 2, "sum",
               engine);
  ExpectFigure(m.prefix_cache_queries_total, 3379200, "vllm:prefix_cache_queries_total", 2, "sum",
               engine);
  ExpectFigure(m.prompt_tokens_total, 3729792, "vllm:prompt_tokens_total", 2, "sum", engine);
  ExpectFigure(m.generation_tokens_total, 811068, "vllm:generation_tokens_total", 2, "sum", engine);
  EXPECT_EQ(m.kv_usage_ratio->note, "");
  EXPECT_EQ(m.prefix_cache_hits_total->note, "");
  EXPECT_TRUE(m.notes.empty()) << Notes(m);
}

TEST(ServerMetrics, VllmOldNamesAndUnknownCapacity) {
  const ServerMetrics m = NormalizeFixture("vllm_legacy.txt");
  ExpectFigure(m.kv_usage_ratio, 0.0625, "vllm:gpu_cache_usage_perc");
  ExpectFigure(m.running_requests, 7, "vllm:num_requests_running");
  ExpectFigure(m.waiting_requests, 0, "vllm:num_requests_waiting");
  ExpectFigure(m.preemptions_total, 0, "vllm:num_preemptions_total");
  ExpectFigure(m.prefix_cache_hits_total, 2048, "vllm:gpu_prefix_cache_hits_total");
  ExpectFigure(m.prefix_cache_queries_total, 5120, "vllm:gpu_prefix_cache_queries_total");
  // Their HELP says they count blocks; the figure says so.
  EXPECT_EQ(m.prefix_cache_hits_total->note, "counts blocks, not tokens (its HELP text says so)");
  EXPECT_EQ(m.prefix_cache_queries_total->note,
            "counts blocks, not tokens (its HELP text says so)");
  ExpectFigure(m.prompt_tokens_total, 81920, "vllm:prompt_tokens_total");
  // num_gpu_blocks="None": no capacity, so no used tokens either; the notes say why.
  EXPECT_FALSE(m.kv_capacity_tokens);
  EXPECT_FALSE(m.kv_used_tokens);
  EXPECT_TRUE(HasNote(m, "kv_capacity_tokens: vllm:cache_config_info{"));
  EXPECT_TRUE(HasNote(m, "has num_gpu_blocks=\"None\", block_size=\"16\"; left out"));
}

TEST(ServerMetrics, VllmOpenMetricsCounterNames) {
  const ServerMetrics m = NormalizeFixture("vllm_openmetrics.txt");
  ExpectFigure(m.kv_usage_ratio, 0.015625, "vllm:kv_cache_usage_perc");
  ExpectFigure(m.kv_capacity_tokens, 262144,
               "vllm:cache_config_info{num_gpu_blocks} * vllm:cache_config_info{block_size}");
  ExpectFigure(m.kv_used_tokens, 4096,
               "vllm:kv_cache_usage_perc * kv_capacity_tokens (per engine)");
  ExpectFigure(m.preemptions_total, 0, "vllm:num_preemptions_total");
  ExpectFigure(m.prompt_tokens_total, 6144, "vllm:prompt_tokens_total");
  EXPECT_FALSE(m.generation_tokens_total);
  EXPECT_FALSE(m.prefix_cache_hits_total);
}

TEST(ServerMetrics, VllmCountersWithoutTotalSuffix) {
  // vLLM-compatible simulators (llm-d-inference-sim) write counters without `_total`.
  const ServerMetrics m = Normalize(
      "# TYPE vllm:prefix_cache_hits counter\n"
      "vllm:prefix_cache_hits{model_name=\"sim\"} 8\n"
      "# TYPE vllm:prefix_cache_queries counter\n"
      "vllm:prefix_cache_queries{model_name=\"sim\"} 20\n"
      "# TYPE vllm:num_preemptions counter\n"
      "vllm:num_preemptions{model_name=\"sim\"} 2\n");
  ExpectFigure(m.prefix_cache_hits_total, 8, "vllm:prefix_cache_hits");
  ExpectFigure(m.prefix_cache_queries_total, 20, "vllm:prefix_cache_queries");
  ExpectFigure(m.preemptions_total, 2, "vllm:num_preemptions");
}

TEST(ServerMetrics, VllmEngineWithoutCacheConfigGivesNoUsedTokens) {
  // Engine 1's cache_config_info is missing: capacity is engine 0's alone, and used tokens
  // (which need every engine's capacity) are left out, with a note.
  const std::string text = DropLines(Read("vllm_v1.txt"), "engine=\"1\",gpu_memory_utilization");
  const ServerMetrics m = Normalize(text);
  ExpectFigure(m.kv_capacity_tokens, 445520,
               "vllm:cache_config_info{num_gpu_blocks} * vllm:cache_config_info{block_size}");
  EXPECT_FALSE(m.kv_used_tokens);
  EXPECT_TRUE(HasNote(m, "kv_used_tokens: vllm:kv_cache_usage_perc{engine=\"1\"")) << Notes(m);
}

TEST(ServerMetrics, NanSeriesAreLeftOut) {
  const std::string text = Replace(Read("vllm_v1.txt"),
                                   "vllm:kv_cache_usage_perc{engine=\"1\",model_name=\"meta-llama/"
                                   "Llama-3.1-8B-Instruct\"} 0.3125",
                                   "vllm:kv_cache_usage_perc{engine=\"1\",model_name=\"meta-llama/"
                                   "Llama-3.1-8B-Instruct\"} NaN");
  const ServerMetrics m = Normalize(text);
  ExpectFigure(m.kv_usage_ratio, 0.4375, "vllm:kv_cache_usage_perc");
  EXPECT_TRUE(HasNote(m, "kv_usage_ratio: vllm:kv_cache_usage_perc{engine=\"1\""));
  EXPECT_TRUE(HasNote(m, "} is nan; left out")) << Notes(m);
  // Used tokens: engine 0's share only would look like the whole; engine 1 is skipped.
  ExpectFigure(m.kv_used_tokens, 194915,
               "vllm:kv_cache_usage_perc * kv_capacity_tokens (per engine)");

  const ServerMetrics all_nan = Normalize("vllm:num_requests_running{engine=\"0\"} NaN\n");
  EXPECT_FALSE(all_nan.running_requests);
}

// ---------------------------------------------------------------------------------------------
// The other servers.

TEST(ServerMetrics, SglangTwoDataParallelRanks) {
  const ServerMetrics m = NormalizeFixture("sglang.txt");
  EXPECT_EQ(m.server, ServerKind::kSglang);
  const std::vector<std::string> ranks = {"dp_rank", "tp_rank"};
  ExpectFigure(m.kv_usage_ratio, 0.1875, "sglang:token_usage", 2, "mean", ranks);
  ExpectFigure(m.kv_used_tokens, 214117, "sglang:num_used_tokens", 2, "sum", ranks);
  ExpectFigure(m.kv_capacity_tokens, 1141958, "sglang:max_total_num_tokens", 2, "sum", ranks);
  ExpectFigure(m.running_requests, 48, "sglang:num_running_reqs", 2, "sum", ranks);
  ExpectFigure(m.waiting_requests, 4, "sglang:num_queue_reqs", 2, "sum", ranks);
  ExpectFigure(m.preemptions_total, 4, "sglang:num_retracted_requests_total", 2, "sum", ranks);
  ExpectFigure(m.prefix_cache_hits_total, 3106245, "sglang:cached_tokens_total");
  ExpectFigure(m.prefix_cache_queries_total, 8128902, "sglang:prompt_tokens_total");
  ExpectFigure(m.prompt_tokens_total, 8128902, "sglang:prompt_tokens_total");
  ExpectFigure(m.generation_tokens_total, 7557572, "sglang:generation_tokens_total");
  EXPECT_TRUE(m.notes.empty()) << Notes(m);
}

TEST(ServerMetrics, TgiQueueAndTokenSums) {
  const ServerMetrics m = NormalizeFixture("tgi.txt");
  EXPECT_EQ(m.server, ServerKind::kTgi);
  ExpectFigure(m.running_requests, 32, "tgi_batch_current_size");
  ExpectFigure(m.waiting_requests, 7, "tgi_queue_size");
  ExpectFigure(m.prompt_tokens_total, 1849213, "tgi_request_input_length_sum");
  ExpectFigure(m.generation_tokens_total, 298114, "tgi_request_generated_tokens_sum");
  // TGI exports no KV-cache figure and no preemption or prefix-cache counter.
  EXPECT_FALSE(m.kv_usage_ratio);
  EXPECT_FALSE(m.kv_used_tokens);
  EXPECT_FALSE(m.kv_capacity_tokens);
  EXPECT_FALSE(m.preemptions_total);
  EXPECT_FALSE(m.prefix_cache_hits_total);
}

TEST(ServerMetrics, TritonTensorRtLlmBackend) {
  const ServerMetrics m = NormalizeFixture("triton_trtllm.txt");
  EXPECT_EQ(m.server, ServerKind::kTriton);
  ExpectFigure(m.kv_usage_ratio, 0.25,
               "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"fraction\"}");
  ExpectFigure(m.kv_capacity_tokens, 409600,
               "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"max\"} * "
               "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"tokens_per\"}");
  ExpectFigure(m.kv_used_tokens, 102400,
               "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"used\"} * "
               "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"tokens_per\"}");
  ExpectFigure(m.running_requests, 24, "nv_trt_llm_request_metrics{request_type=\"scheduled\"}");
  ExpectFigure(m.waiting_requests, 5, "nv_trt_llm_request_metrics{request_type=\"waiting\"}");
  EXPECT_FALSE(m.preemptions_total);
}

TEST(ServerMetrics, TritonOlderBackendFallbacks) {
  // Before tensorrtllm_backend#592 there is no "fraction"; older still, no "waiting" and no
  // "scheduled".
  std::string text = Read("triton_trtllm.txt");
  text = DropLines(text, "kv_cache_block_type=\"fraction\"");
  text = DropLines(text, "request_type=\"waiting\"");
  text = DropLines(text, "request_type=\"scheduled\"");
  const ServerMetrics m = Normalize(text);
  ExpectFigure(m.kv_usage_ratio, 0.25,
               "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"used\"} / "
               "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"max\"}");
  ExpectFigure(m.running_requests, 26, "nv_trt_llm_request_metrics{request_type=\"active\"}");
  ExpectFigure(m.waiting_requests, 3, "nv_inference_pending_request_count", 4, "sum", {"model"});

  // Without tokens_per there are no token figures.
  const ServerMetrics blocks_only =
      Normalize(DropLines(text, "kv_cache_block_type=\"tokens_per\""));
  EXPECT_FALSE(blocks_only.kv_capacity_tokens);
  EXPECT_FALSE(blocks_only.kv_used_tokens);
  EXPECT_TRUE(blocks_only.kv_usage_ratio);
}

TEST(ServerMetrics, TritonTwoModelsPairBlocksByModel) {
  const std::string text =
      "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"max\",model=\"a\",version=\"1\"} "
      "100\n"
      "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"max\",model=\"b\",version=\"1\"} "
      "300\n"
      "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"tokens_per\",model=\"b\","
      "version=\"1\"} 32\n"
      "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"tokens_per\",model=\"a\","
      "version=\"1\"} 64\n"
      "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"used\",model=\"a\",version=\"1\"} "
      "50\n"
      "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"used\",model=\"b\",version=\"1\"} "
      "75\n";
  const ServerMetrics m = Normalize(text);
  // 100 × 64 + 300 × 32; 50 × 64 + 75 × 32; mean of 0.5 and 0.25.
  EXPECT_DOUBLE_EQ(m.kv_capacity_tokens->value, 16000);
  EXPECT_EQ(m.kv_capacity_tokens->varying_labels, std::vector<std::string>{"model"});
  EXPECT_DOUBLE_EQ(m.kv_used_tokens->value, 5600);
  EXPECT_DOUBLE_EQ(m.kv_usage_ratio->value, 0.375);
  EXPECT_EQ(m.kv_usage_ratio->combine, "mean");

  // A model without its tokens_per: no capacity at all (a partial sum would pass for a whole).
  const ServerMetrics partial =
      Normalize(DropLines(text, "kv_cache_block_type=\"tokens_per\",model=\"b\""));
  EXPECT_FALSE(partial.kv_capacity_tokens);
  EXPECT_TRUE(HasNote(partial, "has no matching series of 'nv_trt_llm_kv_cache_block_metrics'"))
      << Notes(partial);
}

TEST(ServerMetrics, TrtllmServe) {
  const ServerMetrics m = NormalizeFixture("trtllm_serve.txt");
  EXPECT_EQ(m.server, ServerKind::kTrtllmServe);
  ExpectFigure(m.kv_usage_ratio, 0.375, "trtllm_kv_cache_utilization");
  ExpectFigure(m.kv_capacity_tokens, 262144,
               "trtllm_kv_cache_max_blocks * trtllm_kv_cache_tokens_per_block");
  ExpectFigure(m.kv_used_tokens, 98304,
               "trtllm_kv_cache_used_blocks * trtllm_kv_cache_tokens_per_block");
  ExpectFigure(m.running_requests, 18, "trtllm_num_requests_running");
  ExpectFigure(m.waiting_requests, 2, "trtllm_num_requests_waiting");

  const ServerMetrics no_ratio =
      Normalize(DropLines(Read("trtllm_serve.txt"), "trtllm_kv_cache_utilization{"));
  ExpectFigure(no_ratio.kv_usage_ratio, 0.375,
               "trtllm_kv_cache_used_blocks / trtllm_kv_cache_max_blocks");
}

TEST(ServerMetrics, LlamaCppOldAndCurrentBuilds) {
  const ServerMetrics m = NormalizeFixture("llamacpp.txt");
  EXPECT_EQ(m.server, ServerKind::kLlamaCpp);
  ExpectFigure(m.kv_usage_ratio, 0.15625, "llamacpp:kv_cache_usage_ratio");
  ExpectFigure(m.kv_used_tokens, 5120, "llamacpp:kv_cache_tokens");
  ExpectFigure(m.running_requests, 2, "llamacpp:requests_processing");
  ExpectFigure(m.waiting_requests, 1, "llamacpp:requests_deferred");
  ExpectFigure(m.prompt_tokens_total, 15872, "llamacpp:prompt_tokens_total");
  ExpectFigure(m.generation_tokens_total, 40215, "llamacpp:tokens_predicted_total");
  EXPECT_FALSE(m.kv_capacity_tokens);
  EXPECT_FALSE(m.preemptions_total);

  // Builds since PR #13660 dropped the KV gauges: those figures are unknown, the rest stay.
  const ServerMetrics current = Normalize(DropLines(Read("llamacpp.txt"), "kv_cache"));
  EXPECT_EQ(current.server, ServerKind::kLlamaCpp);
  EXPECT_FALSE(current.kv_usage_ratio);
  EXPECT_FALSE(current.kv_used_tokens);
  ExpectFigure(current.running_requests, 2, "llamacpp:requests_processing");
}

TEST(ServerMetrics, MindIeReadsItsPercent) {
  const ServerMetrics m = NormalizeFixture("mindie.txt");
  EXPECT_EQ(m.server, ServerKind::kMindIe);
  ExpectFigure(m.kv_usage_ratio, 0.3, "npu_cache_usage_perc");
  EXPECT_EQ(m.kv_usage_ratio->note, "read as a percent: 30 -> 0.3");
  ExpectFigure(m.running_requests, 20, "num_requests_running");
  ExpectFigure(m.waiting_requests, 10, "num_requests_waiting");
  ExpectFigure(m.preemptions_total, 6, "num_preemptions_total");
  ExpectFigure(m.prompt_tokens_total, 3041120, "prompt_tokens_total");
  ExpectFigure(m.generation_tokens_total, 772312, "generation_tokens_total");
  EXPECT_FALSE(m.kv_capacity_tokens);
  EXPECT_FALSE(m.prefix_cache_hits_total);  // MindIE gives only a hit rate
}

TEST(ServerMetrics, PercentNormalisation) {
  struct Case {
    std::string value;
    std::optional<double> ratio;
    std::string note;
  };
  const std::vector<Case> cases = {
      {"0", 0.0, ""},
      {"0.3", 0.3, ""},
      {"1", 1.0, ""},  // ambiguous; read as the documented ratio (100%)
      {"1.5", 0.015, "read as a percent: 1.5 -> 0.015"},
      {"30", 0.3, "read as a percent: 30 -> 0.3"},
      {"100", 1.0, "read as a percent: 100 -> 1"},
      {"250", std::nullopt, ""},
      {"-0.5", std::nullopt, ""},
      {"+Inf", std::nullopt, ""},
  };
  for (const Case& c : cases) {
    const std::string text =
        Replace(Read("mindie.txt"), "npu_cache_usage_perc{model_name=\"Qwen3-8B\"} 30",
                "npu_cache_usage_perc{model_name=\"Qwen3-8B\"} " + c.value);
    const ServerMetrics m = Normalize(text);
    if (!c.ratio) {
      EXPECT_FALSE(m.kv_usage_ratio) << c.value;
      EXPECT_TRUE(HasNote(m, "kv_usage_ratio: npu_cache_usage_perc{model_name=\"Qwen3-8B\"} is "))
          << c.value << "\n"
          << Notes(m);
      continue;
    }
    ASSERT_TRUE(m.kv_usage_ratio) << c.value;
    EXPECT_DOUBLE_EQ(m.kv_usage_ratio->value, *c.ratio) << c.value;
    EXPECT_EQ(m.kv_usage_ratio->note, c.note) << c.value;
  }
  // The same defence applies to every server's ratio.
  const ServerMetrics sglang = Normalize("sglang:token_usage 45\n");
  EXPECT_DOUBLE_EQ(sglang.kv_usage_ratio->value, 0.45);
  EXPECT_EQ(sglang.kv_usage_ratio->note, "read as a percent: 45 -> 0.45");
}

TEST(ServerMetrics, UnknownAndForcedMappings) {
  const PromScrape unknown = ParsePrometheusText(Read("unknown_scalellm.txt"), "u");
  const ServerMetrics m = NormalizeServerMetrics(unknown);
  EXPECT_EQ(m.server, ServerKind::kUnknown);
  EXPECT_EQ(m.mapping, "unknown");
  EXPECT_FALSE(m.kv_usage_ratio);
  EXPECT_FALSE(m.running_requests);
  EXPECT_FALSE(m.prompt_tokens_total);

  // The caller may name the server; a mapping that finds none of its metrics gives nothing.
  const PromScrape vllm = ParsePrometheusText(Read("vllm_v1.txt"), "v");
  const ServerMetrics as_sglang = NormalizeServerMetrics(vllm, ServerKind::kSglang);
  EXPECT_EQ(as_sglang.server, ServerKind::kSglang);
  EXPECT_FALSE(as_sglang.kv_usage_ratio);
  EXPECT_FALSE(as_sglang.running_requests);
}

// ---------------------------------------------------------------------------------------------
// Rows and the record.

TEST(ServerMetrics, RowsOfAKnownServer) {
  const PromScrape scrape = ParsePrometheusText(Read("vllm_v1.txt"), "v");
  const ServerMetrics m = NormalizeServerMetrics(scrape);
  const ServerSamples samples = ServerSampleRecords(scrape, m, RunId(7), 1'500'000'000);
  const std::vector<std::pair<std::string, double>> expected = {
      {"server_kv_usage_ratio", 0.375},
      {"server_kv_used_tokens", 334140},
      {"server_kv_capacity_tokens", 891040},
      {"server_running_requests", 22},
      {"server_waiting_requests", 4},
      {"server_preemptions_total", 7},
      {"server_prefix_cache_hits_total", 1536000},
      {"server_prefix_cache_queries_total", 3379200},
      {"server_prompt_tokens_total", 3729792},
      {"server_generation_tokens_total", 811068},
  };
  ASSERT_EQ(samples.rows.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const results::SampleRecord& row = samples.rows[i];
    EXPECT_EQ(row.run_id, RunId(7));
    EXPECT_EQ(row.time_ns, 1'500'000'000);
    EXPECT_EQ(row.source, "server");
    EXPECT_EQ(row.metric, expected[i].first);
    EXPECT_EQ(row.labels_json, "{}");
    EXPECT_DOUBLE_EQ(row.value, expected[i].second) << row.metric;
  }
  EXPECT_EQ(samples.raw_series_dropped, 0u);

  // TGI: only the figures it has.
  const PromScrape tgi = ParsePrometheusText(Read("tgi.txt"), "t");
  const ServerSamples tgi_rows = ServerSampleRecords(tgi, NormalizeServerMetrics(tgi), RunId(1), 0);
  std::vector<std::string> metrics;
  for (const auto& row : tgi_rows.rows) metrics.push_back(row.metric);
  EXPECT_EQ(metrics, (std::vector<std::string>{"server_running_requests", "server_waiting_requests",
                                               "server_prompt_tokens_total",
                                               "server_generation_tokens_total"}));
}

TEST(ServerMetrics, RawSeriesOfAnUnknownServer) {
  const PromScrape scrape = ParsePrometheusText(Read("unknown_scalellm.txt"), "u");
  const ServerMetrics m = NormalizeServerMetrics(scrape);
  const ServerSamples all = ServerSampleRecords(scrape, m, RunId(3), 42);
  // 17 gauge, counter and untyped samples; the NaN one is left out, the histogram too.
  ASSERT_EQ(all.rows.size(), 16u);
  EXPECT_EQ(all.raw_series_dropped, 0u);
  EXPECT_EQ(all.rows[0].metric, "raw:request_status_total");
  EXPECT_EQ(all.rows[0].labels_json, "{\"code\":\"UNAVAILABLE\"}");
  EXPECT_EQ(all.rows[0].value, 0.0);
  EXPECT_EQ(all.rows[5].labels_json, "{\"code\":\"OK\"}");
  EXPECT_EQ(all.rows[5].value, 1487.0);
  EXPECT_EQ(all.rows[8].metric, "raw:tokenization_latency_seconds");
  EXPECT_EQ(all.rows[8].labels_json, "{}");
  EXPECT_EQ(all.rows[13].metric, "raw:num_running_sequences");
  EXPECT_EQ(all.rows[13].labels_json, "{\"stage\":\"decode\"}");
  EXPECT_EQ(all.rows[15].metric, "raw:engine_load_seconds");
  EXPECT_EQ(all.rows[15].value, 31.2);
  for (const auto& row : all.rows) {
    EXPECT_EQ(row.source, "server");
    EXPECT_EQ(row.run_id, RunId(3));
    EXPECT_EQ(row.time_ns, 42);
    EXPECT_EQ(row.metric.find("end_2_end"), std::string::npos);
  }

  // The bound: the first N series in the scrape's order, the rest counted.
  const ServerSamples bounded = ServerSampleRecords(scrape, m, RunId(3), 42, {.max_raw_series = 5});
  ASSERT_EQ(bounded.rows.size(), 5u);
  EXPECT_EQ(bounded.raw_series_dropped, 11u);
  EXPECT_EQ(bounded.rows[4].labels_json, "{\"code\":\"CANCELLED\"}");
  EXPECT_EQ(ServerSampleRecords(scrape, m, RunId(3), 42, {.max_raw_series = 0}).rows.size(), 0u);
}

TEST(ServerMetrics, RawSeriesSkipCreatedStampsAndCutLongLabels) {
  const PromScrape scrape = ParsePrometheusText(
      "# TYPE om_requests counter\n"
      "om_requests_total 3\n"
      "om_requests_created 1.7e9\n"
      "# TYPE old_requests_total counter\n"
      "old_requests_total 2\n"
      "# TYPE old_requests_created gauge\n"
      "old_requests_created 1.7e9\n"
      "# TYPE lonely_created gauge\n"
      "lonely_created 5\n"
      "# TYPE config_info gauge\n"
      "config_info{path=\"" +
          std::string(300, 'a') + "\",name=\"caf\xc3\xa9\"} 1\n",
      "c");
  const ServerSamples rows = ServerSampleRecords(scrape, NormalizeServerMetrics(scrape), RunId(1),
                                                 0, {.max_label_value_bytes = 4});
  std::vector<std::string> metrics;
  for (const auto& row : rows.rows) metrics.push_back(row.metric);
  EXPECT_EQ(metrics, (std::vector<std::string>{"raw:om_requests_total", "raw:old_requests_total",
                                               "raw:lonely_created", "raw:config_info"}));
  // Cut at 4 bytes, but never inside the two-byte é.
  EXPECT_EQ(rows.rows[3].labels_json, "{\"name\":\"caf...\",\"path\":\"aaaa...\"}");
}

TEST(ServerMetrics, RecordJsonSaysWhereEachFigureCameFrom) {
  const nlohmann::json record =
      nlohmann::json::parse(ServerMetricsRecordJson(NormalizeFixture("vllm_v1.txt")));
  EXPECT_EQ(record["server"], "vllm");
  EXPECT_EQ(record["mapping"], "vllm");
  EXPECT_EQ(record["fields"].size(), 10u);
  EXPECT_EQ(record["fields"]["kv_usage_ratio"],
            nlohmann::json::parse(R"({"source": "vllm:kv_cache_usage_perc", "series": 2,
                                      "combine": "mean", "varying_labels": ["engine"]})"));
  EXPECT_EQ(record["fields"]["running_requests"]["combine"], "sum");
  EXPECT_FALSE(record.contains("notes"));

  const nlohmann::json mindie =
      nlohmann::json::parse(ServerMetricsRecordJson(NormalizeFixture("mindie.txt")));
  EXPECT_EQ(mindie["fields"]["kv_usage_ratio"],
            nlohmann::json::parse(R"({"source": "npu_cache_usage_perc", "series": 1,
                                      "note": "read as a percent: 30 -> 0.3"})"));
  EXPECT_FALSE(mindie["fields"].contains("kv_capacity_tokens"));

  const nlohmann::json legacy =
      nlohmann::json::parse(ServerMetricsRecordJson(NormalizeFixture("vllm_legacy.txt")));
  ASSERT_TRUE(legacy.contains("notes"));
  EXPECT_EQ(legacy["notes"].size(), 1u);
  EXPECT_EQ(legacy["fields"]["prefix_cache_hits_total"]["note"],
            "counts blocks, not tokens (its HELP text says so)");

  const nlohmann::json unknown =
      nlohmann::json::parse(ServerMetricsRecordJson(NormalizeFixture("unknown_scalellm.txt")));
  EXPECT_EQ(unknown["server"], "unknown");
  EXPECT_TRUE(unknown["fields"].empty());
}

}  // namespace
}  // namespace infermeter::collectors
