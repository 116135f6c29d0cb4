// The Prometheus text parser on every body in tests/data/server-metrics (see its README for where
// each layout comes from), with the exact families and samples written there, on the corners of
// the format, and on broken bodies: each error names the source, the line and what was expected.
#include "infermeter/collectors/prometheus_text.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

std::string FixturePath(const std::string& name) {
  const char* dir = std::getenv("INFERMETER_SOURCE_DIR");
  return (std::filesystem::path(dir ? dir : ".") / "tests" / "data" / "server-metrics" / name)
      .string();
}

std::string Read(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  EXPECT_TRUE(in) << FixturePath(name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

PromScrape ParseFixture(const std::string& name) { return ParsePrometheusText(Read(name), name); }

// "name type samples" per family, one per line: the shape of a whole scrape at a glance.
std::string Shape(const PromScrape& scrape) {
  std::string text;
  for (const PromFamily& family : scrape.families) {
    text += fmt::format("{} {} {}\n", family.name, ToString(family.type), family.samples.size());
  }
  return text;
}

const PromFamily& Family(const PromScrape& scrape, const std::string& name) {
  const PromFamily* family = scrape.Find(name);
  if (family == nullptr) {
    ADD_FAILURE() << "no family " << name;
    static const PromFamily kNone;
    return kNone;
  }
  return *family;
}

// Parses, expecting an InputError; returns its message.
std::string ParseError(const std::string& text, const std::string& source = "body",
                       const PromParseLimits& limits = {}) {
  try {
    ParsePrometheusText(text, source, limits);
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

// ---------------------------------------------------------------------------------------------
// Every fixture, family by family.

TEST(PrometheusText, VllmV1FamiliesAndSamples) {
  const PromScrape scrape = ParseFixture("vllm_v1.txt");
  EXPECT_EQ(scrape.source, "vllm_v1.txt");
  EXPECT_FALSE(scrape.openmetrics);
  EXPECT_EQ(Shape(scrape),
            "python_gc_objects_collected_total counter 3\n"
            "python_info gauge 1\n"
            "process_resident_memory_bytes gauge 1\n"
            "process_start_time_seconds gauge 1\n"
            "vllm:num_requests_running gauge 2\n"
            "vllm:num_requests_waiting gauge 2\n"
            "vllm:kv_cache_usage_perc gauge 2\n"
            "vllm:prefix_cache_queries_total counter 2\n"
            "vllm:prefix_cache_hits_total counter 2\n"
            "vllm:num_preemptions_total counter 2\n"
            "vllm:prompt_tokens_total counter 2\n"
            "vllm:prompt_tokens_created gauge 2\n"
            "vllm:generation_tokens_total counter 2\n"
            "vllm:request_success_total counter 6\n"
            "vllm:time_to_first_token_seconds histogram 16\n"
            "vllm:iteration_tokens_total histogram 7\n"
            "vllm:cache_config_info gauge 2\n");
  EXPECT_EQ(scrape.SampleCount(), 55u);

  const PromFamily& usage = Family(scrape, "vllm:kv_cache_usage_perc");
  EXPECT_TRUE(usage.typed);
  EXPECT_EQ(usage.help, "KV-cache usage. 1 means 100 percent usage.");
  ASSERT_EQ(usage.samples.size(), 2u);
  EXPECT_EQ(usage.samples[0].name, "vllm:kv_cache_usage_perc");
  EXPECT_EQ(usage.samples[0].labels,
            (PromLabels{{"engine", "0"}, {"model_name", "meta-llama/Llama-3.1-8B-Instruct"}}));
  EXPECT_EQ(usage.samples[0].value, 0.4375);
  EXPECT_EQ(usage.samples[0].line, 25);
  EXPECT_FALSE(usage.samples[0].timestamp);
  EXPECT_EQ(usage.samples[1].value, 0.3125);
  EXPECT_EQ(usage.samples[1].Label("engine"), "1");

  EXPECT_EQ(Family(scrape, "process_resident_memory_bytes").samples[0].value, 2.147794944e+09);
  EXPECT_EQ(Family(scrape, "vllm:prefix_cache_queries_total").samples[0].value, 1843200.0);
  EXPECT_EQ(Family(scrape, "vllm:prompt_tokens_total").samples[1].value, 1711360.0);

  // A histogram: _sum, _bucket (with `le` sorted between the other labels) and _count.
  const PromFamily& ttft = Family(scrape, "vllm:time_to_first_token_seconds");
  EXPECT_EQ(ttft.samples[0].name, "vllm:time_to_first_token_seconds_sum");
  EXPECT_EQ(ttft.samples[0].value, 311.8429);
  const PromSample& inf_bucket = ttft.samples[6];
  EXPECT_EQ(inf_bucket.name, "vllm:time_to_first_token_seconds_bucket");
  EXPECT_EQ(inf_bucket.labels, (PromLabels{{"engine", "0"},
                                           {"le", "+Inf"},
                                           {"model_name", "meta-llama/Llama-3.1-8B-Instruct"}}));
  EXPECT_EQ(inf_bucket.value, 1504.0);
  EXPECT_EQ(ttft.samples[7].name, "vllm:time_to_first_token_seconds_count");
  EXPECT_EQ(ttft.samples[15].Label("engine"), "1");

  // A histogram whose own name ends in _total.
  const PromFamily& iteration = Family(scrape, "vllm:iteration_tokens_total");
  EXPECT_EQ(iteration.samples[0].name, "vllm:iteration_tokens_total_sum");
  EXPECT_EQ(iteration.samples[6].name, "vllm:iteration_tokens_total_count");

  const PromFamily& info = Family(scrape, "vllm:cache_config_info");
  ASSERT_EQ(info.samples.size(), 2u);
  EXPECT_EQ(info.samples[0].labels.size(), 15u);
  EXPECT_EQ(info.samples[0].labels.front(),
            (std::pair<std::string, std::string>{"block_size", "16"}));
  EXPECT_EQ(info.samples[1].Label("num_gpu_blocks"), "27845");
  EXPECT_EQ(info.samples[1].Label("engine"), "1");
  EXPECT_FALSE(info.samples[1].Label("no_such_label"));
}

TEST(PrometheusText, VllmLegacyKeepsFamiliesWithoutSamples) {
  const PromScrape scrape = ParseFixture("vllm_legacy.txt");
  EXPECT_EQ(Shape(scrape),
            "process_open_fds gauge 1\n"
            "process_max_fds gauge 1\n"
            "vllm:num_requests_running gauge 1\n"
            "vllm:num_requests_waiting gauge 1\n"
            "vllm:gpu_cache_usage_perc gauge 1\n"
            "vllm:gpu_prefix_cache_queries_total counter 1\n"
            "vllm:gpu_prefix_cache_hits_total counter 1\n"
            "vllm:num_preemptions_total counter 1\n"
            "vllm:prompt_tokens_total counter 1\n"
            "vllm:generation_tokens_total counter 1\n"
            "vllm:lora_requests_info gauge 0\n"
            "vllm:cache_config_info gauge 1\n");
  EXPECT_EQ(Family(scrape, "vllm:gpu_prefix_cache_queries_total").help,
            "GPU prefix cache queries, in terms of number of queried blocks.");
  EXPECT_EQ(Family(scrape, "vllm:cache_config_info").samples[0].Label("num_gpu_blocks"), "None");
}

TEST(PrometheusText, OpenMetricsCountersUnitsExemplarsAndEof) {
  const PromScrape scrape = ParseFixture("vllm_openmetrics.txt");
  EXPECT_TRUE(scrape.openmetrics);
  EXPECT_EQ(Shape(scrape),
            "vllm:num_requests_running gauge 1\n"
            "vllm:num_requests_waiting gauge 1\n"
            "vllm:kv_cache_usage_perc gauge 1\n"
            "vllm:num_preemptions counter 2\n"
            "vllm:prompt_tokens counter 2\n"
            "vllm:e2e_request_latency_seconds histogram 6\n"
            "vllm:cache_config_info gauge 1\n");
  const PromFamily& preemptions = Family(scrape, "vllm:num_preemptions");
  EXPECT_EQ(preemptions.samples[0].name, "vllm:num_preemptions_total");
  EXPECT_EQ(preemptions.samples[0].value, 0.0);
  EXPECT_EQ(preemptions.samples[1].name, "vllm:num_preemptions_created");
  EXPECT_EQ(preemptions.samples[1].value, 1.7599999e+09);

  const PromFamily& e2e = Family(scrape, "vllm:e2e_request_latency_seconds");
  EXPECT_EQ(e2e.unit, "seconds");
  EXPECT_EQ(e2e.samples[1].value, 9.0);  // the exemplar after it is not the value
  EXPECT_FALSE(e2e.samples[1].timestamp);
  EXPECT_EQ(e2e.samples[5].name, "vllm:e2e_request_latency_seconds_created");

  const PromSample& info = Family(scrape, "vllm:cache_config_info").samples[0];
  ASSERT_TRUE(info.timestamp);
  EXPECT_EQ(*info.timestamp, 1760000012.5);
}

TEST(PrometheusText, Sglang) {
  const PromScrape scrape = ParseFixture("sglang.txt");
  EXPECT_EQ(Shape(scrape),
            "sglang:num_running_reqs gauge 2\n"
            "sglang:num_used_tokens gauge 2\n"
            "sglang:token_usage gauge 2\n"
            "sglang:gen_throughput gauge 2\n"
            "sglang:num_queue_reqs gauge 2\n"
            "sglang:cache_hit_rate gauge 2\n"
            "sglang:max_total_num_tokens gauge 2\n"
            "sglang:num_retracted_reqs gauge 2\n"
            "sglang:num_retracted_requests_total counter 2\n"
            "sglang:queue_time_seconds histogram 6\n"
            "sglang:prompt_tokens_total counter 1\n"
            "sglang:generation_tokens_total counter 1\n"
            "sglang:cached_tokens_total counter 1\n"
            "sglang:num_requests_total counter 1\n"
            "sglang:time_to_first_token_seconds histogram 7\n");
  const PromSample& used = Family(scrape, "sglang:num_used_tokens").samples[1];
  EXPECT_EQ(used.value, 71372.0);
  EXPECT_EQ(used.labels, (PromLabels{{"dp_rank", "1"},
                                     {"engine_type", "unified"},
                                     {"model_name", "Qwen/Qwen2.5-32B-Instruct"},
                                     {"moe_ep_rank", "0"},
                                     {"pp_rank", "0"},
                                     {"tp_rank", "4"}}));
  // `le` written last is sorted in with the others.
  const PromSample& bucket = Family(scrape, "sglang:queue_time_seconds").samples[1];
  EXPECT_EQ(bucket.labels[2], (std::pair<std::string, std::string>{"le", "0.0"}));
  EXPECT_EQ(Family(scrape, "sglang:prompt_tokens_total").samples[0].value, 8128902.0);
  EXPECT_EQ(Family(scrape, "sglang:time_to_first_token_seconds").samples[0].value,
            2.3518979474117756e+06);
}

TEST(PrometheusText, TgiWithoutHelpAndWithASummary) {
  const PromScrape scrape = ParseFixture("tgi.txt");
  EXPECT_EQ(Shape(scrape),
            "tgi_request_count counter 1\n"
            "tgi_request_success counter 1\n"
            "tgi_batch_inference_count counter 2\n"
            "tgi_queue_size gauge 1\n"
            "tgi_batch_current_size gauge 1\n"
            "tgi_batch_current_max_tokens gauge 1\n"
            "tgi_request_input_length histogram 6\n"
            "tgi_request_generated_tokens histogram 6\n"
            "tgi_batch_inference_duration histogram 10\n"
            "tgi_request_queue_duration summary 7\n");
  EXPECT_EQ(Family(scrape, "tgi_queue_size").help, "");
  EXPECT_EQ(Family(scrape, "tgi_request_count").samples[0].value, 1200.0);
  const PromFamily& summary = Family(scrape, "tgi_request_queue_duration");
  EXPECT_EQ(summary.samples[0].labels, (PromLabels{{"quantile", "0"}}));
  EXPECT_EQ(summary.samples[0].value, 0.000021);
  EXPECT_EQ(summary.samples[4].Label("quantile"), "1");
  EXPECT_EQ(summary.samples[5].name, "tgi_request_queue_duration_sum");
  EXPECT_EQ(summary.samples[6].value, 1187.0);
  const PromSample& decode = Family(scrape, "tgi_batch_inference_duration").samples[5];
  EXPECT_EQ(decode.labels, (PromLabels{{"le", "0.01"}, {"method", "decode"}}));
}

TEST(PrometheusText, TritonTrtLlm) {
  const PromScrape scrape = ParseFixture("triton_trtllm.txt");
  EXPECT_EQ(Shape(scrape),
            "nv_inference_request_success counter 4\n"
            "nv_inference_pending_request_count gauge 4\n"
            "nv_trt_llm_request_metrics gauge 5\n"
            "nv_trt_llm_runtime_memory_metrics gauge 3\n"
            "nv_trt_llm_kv_cache_block_metrics gauge 6\n"
            "nv_trt_llm_inflight_batcher_metrics gauge 3\n"
            "nv_trt_llm_general_metrics gauge 2\n"
            "nv_gpu_utilization gauge 1\n"
            "nv_gpu_memory_used_bytes gauge 1\n");
  const PromSample& max = Family(scrape, "nv_trt_llm_kv_cache_block_metrics").samples[4];
  EXPECT_EQ(
      max.labels,
      (PromLabels{{"kv_cache_block_type", "max"}, {"model", "tensorrt_llm"}, {"version", "1"}}));
  EXPECT_EQ(max.value, 6400.0);
  EXPECT_EQ(Family(scrape, "nv_trt_llm_general_metrics").samples[1].value, 1760000012345678.0);
  EXPECT_EQ(Family(scrape, "nv_gpu_memory_used_bytes").samples[0].value, 75161927680.0);
}

TEST(PrometheusText, TrtllmServe) {
  const PromScrape scrape = ParseFixture("trtllm_serve.txt");
  EXPECT_EQ(Shape(scrape),
            "trtllm_request_success_total counter 2\n"
            "trtllm_num_requests_running gauge 1\n"
            "trtllm_num_requests_waiting gauge 1\n"
            "trtllm_kv_cache_utilization gauge 1\n"
            "trtllm_kv_cache_max_blocks gauge 1\n"
            "trtllm_kv_cache_used_blocks gauge 1\n"
            "trtllm_kv_cache_free_blocks gauge 1\n"
            "trtllm_kv_cache_tokens_per_block gauge 1\n"
            "trtllm_kv_cache_hit_rate gauge 1\n"
            "trtllm_time_to_first_token_seconds histogram 5\n"
            "trtllm_e2e_request_latency_seconds histogram 4\n");
  const PromSample& stop = Family(scrape, "trtllm_request_success_total").samples[0];
  EXPECT_EQ(stop.labels, (PromLabels{{"engine_type", "trtllm"},
                                     {"finished_reason", "stop"},
                                     {"model_name", "meta-llama/Llama-3.1-70B-Instruct"}}));
}

TEST(PrometheusText, LlamaCppUnlabelled) {
  const PromScrape scrape = ParseFixture("llamacpp.txt");
  EXPECT_EQ(Shape(scrape),
            "llamacpp:prompt_tokens_total counter 1\n"
            "llamacpp:prompt_seconds_total counter 1\n"
            "llamacpp:tokens_predicted_total counter 1\n"
            "llamacpp:tokens_predicted_seconds_total counter 1\n"
            "llamacpp:n_decode_total counter 1\n"
            "llamacpp:n_busy_slots_per_decode counter 1\n"
            "llamacpp:prompt_tokens_seconds gauge 1\n"
            "llamacpp:predicted_tokens_seconds gauge 1\n"
            "llamacpp:kv_cache_usage_ratio gauge 1\n"
            "llamacpp:kv_cache_tokens gauge 1\n"
            "llamacpp:requests_processing gauge 1\n"
            "llamacpp:requests_deferred gauge 1\n");
  const PromSample& tokens = Family(scrape, "llamacpp:kv_cache_tokens").samples[0];
  EXPECT_TRUE(tokens.labels.empty());
  EXPECT_EQ(tokens.value, 5120.0);
  EXPECT_EQ(Family(scrape, "llamacpp:tokens_predicted_seconds_total").samples[0].value, 812.44);
}

TEST(PrometheusText, MindIeHistogramCountFirst) {
  const PromScrape scrape = ParseFixture("mindie.txt");
  EXPECT_EQ(scrape.families.size(), 17u);
  EXPECT_EQ(scrape.SampleCount(), 28u);
  const PromFamily& ttft = Family(scrape, "time_to_first_token_seconds");
  EXPECT_EQ(ttft.type, PromMetricType::kHistogram);
  ASSERT_EQ(ttft.samples.size(), 7u);
  EXPECT_EQ(ttft.samples[0].name, "time_to_first_token_seconds_count");
  EXPECT_EQ(ttft.samples[1].name, "time_to_first_token_seconds_sum");
  EXPECT_EQ(ttft.samples[6].labels, (PromLabels{{"le", "+Inf"}, {"model_name", "Qwen3-8B"}}));
  EXPECT_EQ(Family(scrape, "npu_cache_usage_perc").samples[0].value, 30.0);
  EXPECT_EQ(Family(scrape, "request_received_total").type, PromMetricType::kCounter);
}

TEST(PrometheusText, UnknownServerAndUntypedFamilies) {
  const PromScrape scrape = ParseFixture("unknown_scalellm.txt");
  EXPECT_EQ(Shape(scrape),
            "request_status_total counter 6\n"
            "request_handling_latency_seconds counter 2\n"
            "tokenization_latency_seconds counter 1\n"
            "prompt_tokens_total counter 1\n"
            "generated_tokens_total counter 1\n"
            "num_pending_requests gauge 1\n"
            "num_running_sequences gauge 2\n"
            "kv_cache_utilization_perc gauge 1\n"
            "end_2_end_latency_seconds histogram 5\n"
            "engine_load_seconds untyped 1\n"
            "engine_last_error_timestamp untyped 1\n");
  EXPECT_FALSE(Family(scrape, "engine_load_seconds").typed);
  EXPECT_EQ(Family(scrape, "engine_load_seconds").help, "Model load time");
  EXPECT_TRUE(std::isnan(Family(scrape, "engine_last_error_timestamp").samples[0].value));
}

// ---------------------------------------------------------------------------------------------
// Corners of the format.

TEST(PrometheusText, CrlfReadsLikeLf) {
  const std::string lf = Read("vllm_v1.txt");
  std::string crlf;
  for (char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const PromScrape a = ParsePrometheusText(lf, "lf");
  const PromScrape b = ParsePrometheusText(crlf, "crlf");
  EXPECT_EQ(Shape(a), Shape(b));
  EXPECT_EQ(Family(b, "vllm:cache_config_info").samples[1].labels,
            Family(a, "vllm:cache_config_info").samples[1].labels);
  EXPECT_EQ(Family(b, "vllm:kv_cache_usage_perc").help, Family(a, "vllm:kv_cache_usage_perc").help);
}

TEST(PrometheusText, NumbersAsPrometheusWritesThem) {
  const PromScrape scrape = ParsePrometheusText(
      "a NaN\n"
      "b +Inf\n"
      "c -Inf\n"
      "d 1.5e-3\n"
      "e -2E+2\n"
      "f .5\n"
      "g 42 1712345678000\n"
      "h 7 -12\n"
      "i nan\n"
      "j inf\n"
      "k +3\n",
      "numbers");
  auto value = [&](const char* name) { return Family(scrape, name).samples[0].value; };
  EXPECT_TRUE(std::isnan(value("a")));
  EXPECT_EQ(value("b"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(value("c"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(value("d"), 0.0015);
  EXPECT_EQ(value("e"), -200.0);
  EXPECT_EQ(value("f"), 0.5);
  EXPECT_EQ(value("g"), 42.0);
  EXPECT_EQ(*Family(scrape, "g").samples[0].timestamp, 1712345678000.0);
  EXPECT_EQ(*Family(scrape, "h").samples[0].timestamp, -12.0);
  EXPECT_TRUE(std::isnan(value("i")));
  EXPECT_EQ(value("j"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(value("k"), 3.0);
}

TEST(PrometheusText, LabelEscapesSpacingAndNames) {
  const PromScrape scrape = ParsePrometheusText(
      "# HELP esc A help\\nwith \\\\ and \\t kept\n"
      "esc{path=\"C:\\\\models\\\\llama\",quote=\"say \\\"hi\\\"\",nl=\"a\\nb\",tab=\"x\\ty\"} 1\n"
      "  spaced { b = \"2\" , a=\"1\", }\t3\n"
      "empty{} 4\n"
      "ns:sub:metric_name{le=\"}#{,\"} 5\n"
      "# a comment that is neither HELP nor TYPE\n"
      "#TYPE nospace gauge\n"
      "nospace 6\n",
      "corners");
  const PromFamily& esc = Family(scrape, "esc");
  EXPECT_EQ(esc.help, "A help\nwith \\ and \\t kept");
  EXPECT_EQ(esc.samples[0].Label("path"), "C:\\models\\llama");
  EXPECT_EQ(esc.samples[0].Label("quote"), "say \"hi\"");
  EXPECT_EQ(esc.samples[0].Label("nl"), "a\nb");
  EXPECT_EQ(esc.samples[0].Label("tab"), "x\\ty");  // unknown escape kept as written
  EXPECT_EQ(Family(scrape, "spaced").samples[0].labels, (PromLabels{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(Family(scrape, "spaced").samples[0].value, 3.0);
  EXPECT_TRUE(Family(scrape, "empty").samples[0].labels.empty());
  EXPECT_EQ(Family(scrape, "ns:sub:metric_name").samples[0].Label("le"), "}#{,");
  EXPECT_EQ(Family(scrape, "nospace").type, PromMetricType::kGauge);
}

TEST(PrometheusText, HelpAfterSamplesAndEmptyBody) {
  const PromScrape scrape = ParsePrometheusText("x 1\n# HELP x late help\n", "late");
  EXPECT_EQ(Family(scrape, "x").help, "late help");
  EXPECT_TRUE(ParsePrometheusText("", "empty").families.empty());
  EXPECT_TRUE(ParsePrometheusText("\n\n# just a comment\n\r\n", "blank").families.empty());
  // A body without the final newline still ends its last line.
  EXPECT_EQ(ParsePrometheusText("x 1\ny 2", "no newline").SampleCount(), 2u);
}

TEST(PrometheusText, GaugeHistogramInfoAndStateSet) {
  const PromScrape scrape = ParsePrometheusText(
      "# TYPE queue gaugehistogram\n"
      "queue_bucket{le=\"1\"} 2\n"
      "queue_bucket{le=\"+Inf\"} 3\n"
      "queue_gcount 3\n"
      "queue_gsum 2.5\n"
      "# TYPE build info\n"
      "build_info{version=\"1.2\"} 1\n"
      "# TYPE state stateset\n"
      "state{state=\"a\"} 1\n"
      "state{state=\"b\"} 0\n"
      "# EOF\n",
      "openmetrics types");
  EXPECT_EQ(Shape(scrape), "queue gaugehistogram 4\nbuild info 1\nstate stateset 2\n");
  EXPECT_TRUE(scrape.openmetrics);
}

// ---------------------------------------------------------------------------------------------
// Broken bodies: each names the source, the line and what was expected.

TEST(PrometheusText, MalformedFixturesNameTheLine) {
  struct Case {
    std::string file;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"malformed_missing_equals.txt",
       "malformed_missing_equals.txt:17: expected '=' after label name 'model_name', found "
       "'\"meta-llama/Llama-3.1-8B...'"},
      {"malformed_unterminated_label.txt",
       "malformed_unterminated_label.txt:25: expected a closing '\"' for the value of label "
       "'model_name', found end of line"},
      {"malformed_bad_value.txt",
       "malformed_bad_value.txt:12: expected a number (or NaN, +Inf, -Inf) as the value of "
       "'tgi_queue_size', found '7,5'"},
      {"malformed_histogram_no_le.txt",
       "malformed_histogram_no_le.txt:22: expected label 'le' on histogram bucket "
       "'tgi_request_input_length_bucket'"},
      {"malformed_after_eof.txt",
       "malformed_after_eof.txt:31: expected nothing after '# EOF' (line 30), found "
       "'vllm:num_requests_runnin...'"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseError(Read(c.file), c.file), c.message);
    try {
      ParseFixture(c.file);
    } catch (const InputError& e) {
      EXPECT_EQ(e.where().source, c.file);
      EXPECT_TRUE(e.where().line.has_value()) << c.file;
    }
  }
}

TEST(PrometheusText, MalformedLinesNameWhatWasExpected) {
  struct Case {
    std::string body;
    std::string message;  // after "http://h:8000/metrics:"
  };
  const std::vector<Case> cases = {
      {"x{a=\"1\" 1\n", "1: expected ',' or '}' after the value of label 'a', found '1'"},
      {"x{=\"1\"} 1\n", "1: expected a label name or '}' in the labels of 'x', found '=\"1\"} 1'"},
      {"x{a=1} 1\n", "1: expected '\"' to open the value of label 'a', found '1} 1'"},
      {"x{a=\"1\"\n", "1: expected ',' or '}' after the value of label 'a', found end of line"},
      {"ok 1\nx 1 2 3\n", "2: expected end of line after the timestamp of 'x', found '3'"},
      {"x 1 abc\n", "1: expected a timestamp or end of line after the value of 'x', found 'abc'"},
      {"x 1 NaN\n", "1: expected a timestamp or end of line after the value of 'x', found 'NaN'"},
      {"x\n", "1: expected a value after 'x', found end of line"},
      {"x{a=\"1\"}\n", "1: expected a value after 'x{...}', found end of line"},
      {"x 0x10\n", "1: expected a number (or NaN, +Inf, -Inf) as the value of 'x', found '0x10'"},
      {"x --1\n", "1: expected a number (or NaN, +Inf, -Inf) as the value of 'x', found '--1'"},
      {"x{a=\"1\",a=\"2\"} 1\n", "1: label 'a' appears twice in a sample of 'x'"},
      {"x{a=\"1\"}} 1\n",
       "1: expected a number (or NaN, +Inf, -Inf) as the value of 'x', found '}'"},
      {"1x 1\n", "1: expected a metric name or '#', found '1x 1'"},
      {"x-y 1\n", "1: expected '{' or a space after metric name 'x', found '-y 1'"},
      {"# TYPE x gauge\n# TYPE x counter\n",
       "2: a second '# TYPE' line for 'x' (the first is on line 1)"},
      {"# HELP x a\n# HELP x b\n", "2: a second '# HELP' line for 'x' (the first is on line 1)"},
      {"# UNIT x s\n# UNIT x s\n", "2: a second '# UNIT' line for 'x' (the first is on line 1)"},
      {"# TYPE x foo\n",
       "1: expected a metric type after '# TYPE x' (counter, gauge, histogram, summary, untyped, "
       "unknown, gaugehistogram, info or stateset), found 'foo'"},
      {"# TYPE x\n",
       "1: expected a metric type after '# TYPE x' (counter, gauge, histogram, summary, untyped, "
       "unknown, gaugehistogram, info or stateset), found end of line"},
      {"# TYPE x gauge extra\n", "1: expected end of line after '# TYPE x gauge', found 'extra'"},
      {"# HELP 1x help\n", "1: expected a metric name after '# HELP', found '1x help'"},
      {"# TYPE\n", "1: expected a metric name after '# TYPE', found end of line"},
      {"x 1\n# TYPE x gauge\n", "2: expected '# TYPE x' before the first sample of 'x' (line 1)"},
      {"x_bucket{le=\"1\"} 1\n# TYPE x histogram\n",
       "2: expected '# TYPE x' before the first sample of 'x_bucket' (line 1)"},
      {"# TYPE x histogram\nx 1\n",
       "2: histogram 'x' cannot have a sample named 'x' (expected 'x_bucket', 'x_count', "
       "'x_sum', 'x_created')"},
      {"# TYPE x summary\nx 1\n", "2: expected label 'quantile' on summary sample 'x'"},
      {"# TYPE x summary\nx{quantile=\"p99\"} 1\n",
       "2: expected a number as label 'quantile' of 'x', found 'p99'"},
      {"# TYPE x histogram\nx_bucket{le=\"abc\"} 1\n",
       "2: expected a number as label 'le' of 'x_bucket', found 'abc'"},
      {"x 1\n\nx 2\n", "3: series 'x' appears twice (first on line 1)"},
      {"x{b=\"2\",a=\"1\"} 1\nx{a=\"1\",b=\"2\"} 2\n",
       "2: series 'x{a=\"1\",b=\"2\"}' appears twice (first on line 1)"},
      {"# EOF\n\nx 1\n", "3: expected nothing after '# EOF' (line 1), found 'x 1'"},
      {"x{a=\"\x01\"} 1 2 \x02\n", "1: expected end of line after the timestamp of 'x', found '?'"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseError(c.body, "http://h:8000/metrics"), "http://h:8000/metrics:" + c.message)
        << c.body;
  }
}

TEST(PrometheusText, LimitsAreClearErrors) {
  EXPECT_EQ(ParseError(std::string(100, '\n'), "big", {.max_body_bytes = 99}),
            "big: a body of 100 bytes is over the limit of 99 bytes");
  EXPECT_EQ(ParseError("x{a=\"1\",b=\"2\",c=\"3\"} 1\n", "many", {.max_labels_per_sample = 2}),
            "many:1: a sample of 'x' has more than 2 labels");
  EXPECT_EQ(ParseError("x{a=\"12345\"} 1\n", "long", {.max_label_value_bytes = 4}),
            "long:1: the value of label 'a' of 'x' is over the limit of 4 bytes");
  EXPECT_EQ(ParseError("a 1\nb 2\nc 3\n", "count", {.max_samples = 2}),
            "count:3: more than 2 samples");
  // At the limits exactly: fine.
  EXPECT_EQ(ParsePrometheusText("x{a=\"1234\",b=\"2\"} 1\n", "ok",
                                {.max_labels_per_sample = 2, .max_label_value_bytes = 4})
                .SampleCount(),
            1u);
}

// Any mangling of a real body parses or throws InputError; nothing else (no crash, no other
// exception). Under the asan preset this also checks every read stays in bounds.
TEST(PrometheusText, MangledBodiesNeverCrash) {
  const std::vector<std::string> bodies = {Read("vllm_v1.txt"), Read("tgi.txt"),
                                           Read("vllm_openmetrics.txt"), Read("mindie.txt")};
  std::mt19937 random(20240611);
  const std::string alphabet = "{}\",=#\\ \t\n\r_:.+-eE0123456789aZ";
  int parsed = 0, rejected = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string body = bodies[round % bodies.size()];
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const std::size_t at = random() % body.size();
      switch (random() % 3) {
        case 0:
          body[at] = alphabet[random() % alphabet.size()];
          break;
        case 1:
          body.erase(at, 1 + random() % 8);
          break;
        default:
          body.insert(at, 1, alphabet[random() % alphabet.size()]);
      }
    }
    if (round % 7 == 0) body.resize(random() % (body.size() + 1));  // cut anywhere
    try {
      ParsePrometheusText(body, "mangled");
      ++parsed;
    } catch (const InputError&) {
      ++rejected;
    }
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(rejected, 0);
}

// A 1 MB scrape (vLLM-like: 16 engines, histograms of many buckets) parses in milliseconds.
TEST(PrometheusText, OneMegabyteParsesQuickly) {
  std::string body;
  int samples = 0;
  for (int family = 0; body.size() < (1u << 20); ++family) {
    body += fmt::format("# HELP vllm:metric_{0}_seconds Histogram number {0}.\n", family);
    body += fmt::format("# TYPE vllm:metric_{}_seconds histogram\n", family);
    for (int engine = 0; engine < 16; ++engine) {
      const std::string labels =
          fmt::format("engine=\"{}\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"", engine);
      for (int bucket = 0; bucket < 12; ++bucket) {
        body += fmt::format("vllm:metric_{}_seconds_bucket{{{},le=\"{}\"}} {}.0\n", family, labels,
                            0.001 * (1 << bucket), bucket * 17);
      }
      body +=
          fmt::format("vllm:metric_{}_seconds_bucket{{{},le=\"+Inf\"}} 204.0\n", family, labels);
      body += fmt::format("vllm:metric_{}_seconds_sum{{{}}} 1.2345e+02\n", family, labels);
      body += fmt::format("vllm:metric_{}_seconds_count{{{}}} 204.0\n", family, labels);
      samples += 15;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const PromScrape scrape = ParsePrometheusText(body, "generated");
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(scrape.SampleCount(), static_cast<std::size_t>(samples));
  std::printf("parsed %zu bytes, %d samples in %.2f ms\n", body.size(), samples, ms);
  // Generous: a few ms in a release build; the bound only catches a quadratic slip.
  EXPECT_LT(ms, 2000.0);
}

}  // namespace
}  // namespace infermeter::collectors
