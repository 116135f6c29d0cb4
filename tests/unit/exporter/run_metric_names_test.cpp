// Every rule of docs/PROMETHEUS.md's "Summary figures" table, on the names the harness and the
// collectors really store, and the run_info labels.

#include "infermeter/exporter/run_metric_names.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <set>

#include "infermeter/harness/metrics.h"

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

// The table row by row, with the examples docs/PROMETHEUS.md gives.
TEST(RunMetricNamesTest, EachRowOfTheDocumentedTable) {
  // A distribution: every statistic the harness stores, as the `stat` label, ms -> s.
  const std::pair<const char*, const char*> stats[] = {
      {"mean", "mean"}, {"std", "std"}, {"min", "min"}, {"max", "max"},    {"p50", "p50"},
      {"p90", "p90"},   {"p95", "p95"}, {"p99", "p99"}, {"p99_9", "p99.9"}};
  for (const auto& [stored, label] : stats) {
    EXPECT_EQ(ExportedRunMetricName(std::string("ttft_") + stored + "_ms", "ms"),
              Name("infermeter_run_ttft_seconds", label, 1e-3))
        << stored;
    EXPECT_EQ(ExportedRunMetricName(std::string("e2e_from_scheduled_") + stored + "_ms", "ms"),
              Name("infermeter_run_e2e_from_scheduled_seconds", label, 1e-3))
        << stored;
  }
  // Its count: `_count` is reserved for histograms, whatever is counted.
  EXPECT_EQ(ExportedRunMetricName("itl_count", "tokens"), Name("infermeter_run_itl_samples"));
  EXPECT_EQ(ExportedRunMetricName("itl_per_request_mean_count", "requests"),
            Name("infermeter_run_itl_per_request_mean_samples"));
  // Rates: tokens/s, requests/s, FLOP/s, bytes/s.
  EXPECT_EQ(ExportedRunMetricName("request_throughput_per_s", "requests/s"),
            Name("infermeter_run_request_throughput_per_second"));
  EXPECT_EQ(ExportedRunMetricName("goodput_output_tokens_per_s", "tokens/s"),
            Name("infermeter_run_goodput_output_tokens_per_second"));
  EXPECT_EQ(ExportedRunMetricName("achieved_memory_bytes_per_s", "bytes/s"),
            Name("infermeter_run_achieved_memory_bytes_per_second"));
  // Times: s, ms, us.
  EXPECT_EQ(ExportedRunMetricName("steady_state_start_s", "s"),
            Name("infermeter_run_steady_state_start_seconds"));
  EXPECT_EQ(ExportedRunMetricName("process_cpu_s", "s"),
            Name("infermeter_run_process_cpu_seconds"));
  EXPECT_EQ(ExportedRunMetricName("slo_e2e_ms", "ms"),
            Name("infermeter_run_slo_e2e_seconds", "", 1e-3));
  // Bytes: the unit moves to the end.
  EXPECT_EQ(ExportedRunMetricName("kv_bytes_capacity", "bytes"),
            Name("infermeter_run_kv_capacity_bytes"));
  EXPECT_EQ(ExportedRunMetricName("gpu_memory_used_peak_bytes", "bytes"),
            Name("infermeter_run_gpu_memory_used_peak_bytes"));
  // Percent: a ratio, / 100.
  EXPECT_EQ(ExportedRunMetricName("gpu_utilization_mean_percent", "%"),
            Name("infermeter_run_gpu_utilization_mean_ratio", "", 0.01));
  // Ratios without a unit.
  EXPECT_EQ(ExportedRunMetricName("good_fraction", ""), Name("infermeter_run_good_fraction_ratio"));
  EXPECT_EQ(ExportedRunMetricName("prefix_cache_hit_ratio", ""),
            Name("infermeter_run_prefix_cache_hit_ratio"));
  // Energy and power.
  EXPECT_EQ(ExportedRunMetricName("energy_j", "J"), Name("infermeter_run_energy_joules"));
  EXPECT_EQ(ExportedRunMetricName("npu_power_mean_w", "W"),
            Name("infermeter_run_npu_power_mean_watts"));
  // Counts: a final figure is a gauge, no `_total`.
  EXPECT_EQ(ExportedRunMetricName("requests_total", "requests"), Name("infermeter_run_requests"));
  EXPECT_EQ(ExportedRunMetricName("requests_completed", "requests"),
            Name("infermeter_run_requests_completed"));
  EXPECT_EQ(ExportedRunMetricName("flops_analytic_total", "FLOP"),
            Name("infermeter_run_flops_analytic"));
}

// Every figure the harness and the collectors store: a valid name, the unit's suffix, no
// suffix Prometheus reserves, and no two figures on one series.
TEST(RunMetricNamesTest, EveryStoredFigureGetsItsOwnWellFormedSeries) {
  harness::RunSummary summary;
  for (harness::Distribution* d :
       {&summary.ttft_ms, &summary.ttst_ms, &summary.e2e_ms, &summary.tpot_ms, &summary.ntpot_ms,
        &summary.itl_ms, &summary.itl_mean_ms, &summary.ttft_from_scheduled_ms,
        &summary.e2e_from_scheduled_ms, &summary.schedule_lag_ms, &summary.queue_ms,
        &summary.ttfvt_ms, &summary.connect_ms, &summary.first_byte_ms}) {
    d->count = 3;
  }
  summary.errors_by_class = {{"connect", 1}, {"HTTP 503", 2}, {"timeout", 1}};
  summary.reasoning_tokens = 10;
  summary.slo_set = true;
  summary.slo.ttft_ms = 1000;
  summary.slo.tpot_ms = 50;
  summary.slo.itl_ms = 100;
  summary.slo.e2e_ms = 60000;
  std::vector<results::RunMetric> stored = harness::ToRunMetrics(summary, RunId{1});
  ASSERT_GT(stored.size(), 150u);
  // What the collectors add (collectors/src/*_collector.cpp Summarize).
  const std::pair<const char*, const char*> collected[] = {
      {"flops_analytic_total", "FLOP"},
      {"flops_attention_total", "FLOP"},
      {"flops_total", "FLOP"},
      {"flops_counted_to_analytic", ""},
      {"flops_per_output_token", "FLOP"},
      {"achieved_flops_per_s", "FLOP/s"},
      {"mfu", ""},
      {"memory_bytes_read_estimate", "bytes"},
      {"achieved_memory_bytes_per_s", "bytes/s"},
      {"mbu", ""},
      {"kv_bytes_peak", "bytes"},
      {"kv_bytes_capacity", "bytes"},
      {"kv_usage_peak_ratio", ""},
      {"kv_analytic_bytes_peak", "bytes"},
      {"process_cpu_s", "s"},
      {"process_cpu_percent_mean", "%"},
      {"process_rss_peak_bytes", "bytes"},
      {"host_memory_total_bytes", "bytes"},
      {"client_cpu_per_request_us", "us"},
      {"gpu_energy_j", "J"},
      {"gpu_power_mean_w", "W"},
      {"gpu_memory_used_peak_bytes", "bytes"},
      {"gpu_utilization_mean_percent", "%"},
      {"npu_energy_j", "J"},
      {"npu_power_mean_w", "W"},
      {"npu_memory_used_peak_bytes", "bytes"},
      {"npu_aicore_utilization_mean_percent", "%"},
      {"energy_j", "J"},
      {"energy_j_per_output_token", "J"},
      {"output_tokens_per_j", "tokens/J"},
      {"server_kv_usage_peak_ratio", ""},
      {"server_kv_usage_mean_ratio", ""},
      {"server_kv_used_tokens_peak", "tokens"},
      {"server_kv_capacity_tokens", "tokens"},
      {"server_kv_bytes_peak", "bytes"},
      {"server_kv_bytes_capacity", "bytes"},
      {"server_running_requests_peak", "requests"},
      {"server_waiting_requests_peak", "requests"},
      {"server_preemptions", "preemptions"},
      {"server_prefix_cache_hits", "tokens"},
      {"server_prefix_cache_queries", "tokens"},
      {"server_prefix_cache_hit_ratio", ""},
      {"server_prompt_tokens", "tokens"},
      {"server_generation_tokens", "tokens"},
  };
  for (const auto& [name, unit] : collected) stored.push_back({RunId{1}, name, 1, unit});

  // infermeter_run_[a-zA-Z0-9_]*[a-zA-Z0-9] (without <regex>: GCC 12 warns falsely inside it
  // under the sanitizer preset's -O2).
  const auto valid = [](const std::string& family) {
    const std::string prefix = "infermeter_run_";
    if (!family.starts_with(prefix) || family.size() == prefix.size() || family.back() == '_') {
      return false;
    }
    return std::all_of(family.begin(), family.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
  };
  const std::set<std::string> stat_labels{"mean", "std", "min", "max",  "p50",
                                          "p90",  "p95", "p99", "p99.9"};
  const auto ends_with = [](const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() && text.ends_with(suffix);
  };
  std::set<std::pair<std::string, std::string>> series;
  for (const results::RunMetric& metric : stored) {
    const RunMetricName name = ExportedRunMetricName(metric.name, metric.unit);
    SCOPED_TRACE(metric.name + " (" + metric.unit + ") -> " + name.family);
    EXPECT_TRUE(valid(name.family));
    EXPECT_TRUE(series.emplace(name.family, name.stat).second) << "two figures on one series";
    for (const char* reserved : {"_total", "_count", "_sum", "_bucket", "_created", "_info"}) {
      EXPECT_FALSE(ends_with(name.family, reserved));
    }
    EXPECT_EQ(name.family.find("__"), std::string::npos);
    if (!name.stat.empty()) {
      EXPECT_TRUE(stat_labels.contains(name.stat));
    }
    if (metric.unit == "ms" || metric.unit == "us" || metric.unit == "s") {
      EXPECT_TRUE(ends_with(name.family, "_seconds"));
      EXPECT_DOUBLE_EQ(name.scale, metric.unit == "ms" ? 1e-3 : metric.unit == "us" ? 1e-6 : 1);
    } else if (metric.unit == "%" || metric.unit.empty()) {
      EXPECT_TRUE(ends_with(name.family, "_ratio"));
      EXPECT_DOUBLE_EQ(name.scale, metric.unit == "%" ? 0.01 : 1);
    } else if (metric.unit == "bytes") {
      EXPECT_TRUE(ends_with(name.family, "_bytes"));
    } else if (metric.unit.ends_with("/s")) {
      EXPECT_TRUE(ends_with(name.family, "_per_second"));
    } else if (metric.unit == "J") {
      EXPECT_TRUE(ends_with(name.family, "_joules"));
    } else if (metric.unit == "W") {
      EXPECT_TRUE(ends_with(name.family, "_watts"));
    } else if (metric.unit == "tokens/J") {
      EXPECT_TRUE(ends_with(name.family, "_per_joule"));
    } else {
      EXPECT_DOUBLE_EQ(name.scale, 1);  // counts keep their value
    }
  }
  EXPECT_EQ(ExportedRunMetrics(stored).size(), stored.size());
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
}

}  // namespace
}  // namespace infermeter::exporter
