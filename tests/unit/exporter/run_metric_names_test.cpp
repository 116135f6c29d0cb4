// Every rule of docs/PROMETHEUS.md's "Summary figures" table, on the names the harness and the
// collectors really store, and the run_info labels.

#include "infermeter/exporter/run_metric_names.h"

#include <gtest/gtest.h>

namespace infermeter::exporter {
namespace {

RunMetricName Name(std::string family, std::string stat = "", double scale = 1) {
  return {.family = std::move(family), .stat = std::move(stat), .scale = scale};
}

TEST(RunMetricNamesTest, EachConversionRule) {
  EXPECT_EQ(ExportedRunMetricName("ttft_p99_ms", "ms"),
            Name("infermeter_run_ttft_seconds", "p99", 1e-3));
  EXPECT_EQ(ExportedRunMetricName("itl_p99_9_ms", "ms"),
            Name("infermeter_run_itl_seconds", "p99.9", 1e-3));
  EXPECT_EQ(ExportedRunMetricName("itl_per_request_mean_mean_ms", "ms"),
            Name("infermeter_run_itl_per_request_mean_seconds", "mean", 1e-3));
  EXPECT_EQ(ExportedRunMetricName("ttft_count", "requests"), Name("infermeter_run_ttft_samples"));
  EXPECT_EQ(ExportedRunMetricName("slo_ttft_ms", "ms"),
            Name("infermeter_run_slo_ttft_seconds", "", 1e-3));
  EXPECT_EQ(ExportedRunMetricName("client_cpu_per_request_us", "us"),
            Name("infermeter_run_client_cpu_per_request_seconds", "", 1e-6));
  EXPECT_EQ(ExportedRunMetricName("duration_s", "s"), Name("infermeter_run_duration_seconds"));
  EXPECT_EQ(ExportedRunMetricName("output_tokens_per_s", "tokens/s"),
            Name("infermeter_run_output_tokens_per_second"));
  EXPECT_EQ(ExportedRunMetricName("achieved_flops_per_s", "FLOP/s"),
            Name("infermeter_run_achieved_flops_per_second"));
  EXPECT_EQ(ExportedRunMetricName("kv_bytes_peak", "bytes"), Name("infermeter_run_kv_peak_bytes"));
  EXPECT_EQ(ExportedRunMetricName("host_memory_total_bytes", "bytes"),
            Name("infermeter_run_host_memory_total_bytes"));
  EXPECT_EQ(ExportedRunMetricName("process_cpu_percent_mean", "%"),
            Name("infermeter_run_process_cpu_mean_ratio", "", 0.01));
  EXPECT_EQ(ExportedRunMetricName("mfu", ""), Name("infermeter_run_mfu_ratio"));
  EXPECT_EQ(ExportedRunMetricName("kv_usage_peak_ratio", ""),
            Name("infermeter_run_kv_usage_peak_ratio"));
  EXPECT_EQ(ExportedRunMetricName("gpu_energy_j", "J"), Name("infermeter_run_gpu_energy_joules"));
  EXPECT_EQ(ExportedRunMetricName("energy_j_per_output_token", "J"),
            Name("infermeter_run_energy_per_output_token_joules"));
  EXPECT_EQ(ExportedRunMetricName("gpu_power_mean_w", "W"),
            Name("infermeter_run_gpu_power_mean_watts"));
  EXPECT_EQ(ExportedRunMetricName("output_tokens_per_j", "tokens/J"),
            Name("infermeter_run_output_tokens_per_joule"));
  EXPECT_EQ(ExportedRunMetricName("flops_total", "FLOP"), Name("infermeter_run_flops"));
  EXPECT_EQ(ExportedRunMetricName("output_tokens", "tokens"), Name("infermeter_run_output_tokens"));
  // Anything else is made a valid name, never dropped.
  EXPECT_EQ(ExportedRunMetricName("9 odd-name", "widgets"), Name("infermeter_run_9_odd_name"));
  EXPECT_EQ(ValidPrometheusName("9lives"), "_9lives");
}

TEST(RunMetricNamesTest, DuplicatesKeepTheFirstAndValuesAreScaled) {
  const std::vector<results::RunMetric> metrics{{RunId{1}, "ttft_p50_ms", 250, "ms"},
                                                {RunId{1}, "flops_total", 7, "FLOP"},
                                                {RunId{1}, "flops", 8, "FLOP"}};
  const auto points = ExportedRunMetrics(metrics);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_DOUBLE_EQ(points[0].value, 0.25);
  EXPECT_EQ(points[1].value, 7);
}

TEST(RunMetricNamesTest, RunInfoLabels) {
  results::RunInfo info;
  info.name = "agentic";
  info.engine = "openai";
  info.model = "deepseek-v4-flash";
  info.workload_name = "agentic";
  info.hardware_json =
      R"({"cpu_model":"Xeon","logical_cores":64,"gpus":[],"npus":[{"name":"Ascend 910B"},{"name":"Ascend 910B"}]})";
  info.labels = {{"team-name", "infra"}, {"status", "mine"}, {"__x", "y"}};
  auto labels = RunInfoLabels(RunId{7}, info);
  EXPECT_EQ(labels["run_id"], "7");
  EXPECT_EQ(labels["hardware"], "2x Ascend 910B");
  EXPECT_EQ(labels["team_name"], "infra");
  EXPECT_EQ(labels["label_status"], "mine");
  EXPECT_EQ(labels["label___x"], "y");
  info.labels = {{"hardware", "8x H200 (vLLM 0.11)"}};
  EXPECT_EQ(RunInfoLabels(RunId{7}, info)["hardware"], "8x H200 (vLLM 0.11)");
  EXPECT_EQ(HardwareSummary(R"({"cpu_model":"Xeon","logical_cores":64})"), "Xeon (64 cores)");
  EXPECT_EQ(HardwareSummary("not json"), "unknown");
}

}  // namespace
}  // namespace infermeter::exporter
