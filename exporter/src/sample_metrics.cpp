#include "sample_metrics.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace infermeter::exporter {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

std::vector<SampleMetric> MakeRows() {
  const Labels gpu{{"accelerator", "gpu"}};
  const Labels npu{{"accelerator", "npu"}};
  const Labels gpu_index{{"gpu", "device"}};
  const Labels npu_chip{{"npu", "device"}, {"chip", "chip"}};
  const Labels engine{{"source", "engine"}};
  const Labels server{{"source", "server"}};
  constexpr auto kGauge = SampleKind::kGauge;
  constexpr auto kCounter = SampleKind::kCounter;
  return {
      {"latency",
       "in_flight_requests",
       "infermeter_requests_in_flight",
       "Requests sent and not yet ended, warm-up included.",
       kGauge,
       1,
       {},
       {}},
      {"flops",
       "flops_total",
       "infermeter_flops_total",
       "FLOPs executed since the run started (engine counters or the cost model).",
       kCounter,
       1,
       {},
       {}},
      {"flops",
       "flops_by_class_total",
       "infermeter_flops_by_op_class_total",
       "FLOPs executed since the run started, by op class.",
       kCounter,
       1,
       {},
       {{"op_class", "op_class"}}},
      {"flops",
       "flops_per_s",
       "infermeter_achieved_flops_per_second",
       "FLOP/s over the last sampling interval.",
       kGauge,
       1,
       {},
       {}},
      {"flops",
       "mfu",
       "infermeter_mfu_ratio",
       "Achieved FLOP/s over the peak the run states (model FLOPs utilization).",
       kGauge,
       1,
       {},
       {}},
      {"kv_cache",
       "kv_used_bytes",
       "infermeter_kv_cache_used_bytes",
       "KV cache in use.",
       kGauge,
       1,
       engine,
       {}},
      {"kv_cache",
       "kv_used_bytes",
       "infermeter_kv_cache_used_by_kind_bytes",
       "KV cache in use, by entry kind.",
       kGauge,
       1,
       {},
       {{"kind", "kind"}}},
      {"kv_cache",
       "kv_capacity_bytes",
       "infermeter_kv_cache_capacity_bytes",
       "KV cache budget.",
       kGauge,
       1,
       engine,
       {}},
      {"kv_cache",
       "kv_usage_ratio",
       "infermeter_kv_cache_usage_ratio",
       "KV cache in use over its budget.",
       kGauge,
       1,
       engine,
       {}},
      {"kv_cache",
       "kv_allocated_bytes",
       "infermeter_kv_cache_allocated_bytes",
       "KV cache blocks held, used or not.",
       kGauge,
       1,
       {},
       {}},
      {"server_metrics",
       "server_kv_used_bytes",
       "infermeter_kv_cache_used_bytes",
       "KV cache in use.",
       kGauge,
       1,
       server,
       {}},
      {"server_metrics",
       "server_kv_capacity_bytes",
       "infermeter_kv_cache_capacity_bytes",
       "KV cache budget.",
       kGauge,
       1,
       server,
       {}},
      {"server_metrics",
       "server_kv_usage_ratio",
       "infermeter_kv_cache_usage_ratio",
       "KV cache in use over its budget.",
       kGauge,
       1,
       server,
       {}},
      {"server_metrics",
       "server_running_requests",
       "infermeter_server_requests_running",
       "Requests the server is running, as scraped from it.",
       kGauge,
       1,
       {},
       {}},
      {"server_metrics",
       "server_waiting_requests",
       "infermeter_server_requests_waiting",
       "Requests waiting in the server's queue, as scraped from it.",
       kGauge,
       1,
       {},
       {}},
      {"system",
       "process_rss_bytes",
       "infermeter_process_resident_memory_bytes",
       "Resident memory of the infermeter process.",
       kGauge,
       1,
       {},
       {}},
      {"system",
       "host_memory_used_bytes",
       "infermeter_host_memory_used_bytes",
       "Host memory in use (MemTotal - MemAvailable).",
       kGauge,
       1,
       {},
       {}},
      {"nvml", "gpu_memory_used_bytes", "infermeter_accelerator_memory_used_bytes",
       "Device memory in use.", kGauge, 1, gpu, gpu_index},
      {"nvml", "gpu_memory_total_bytes", "infermeter_accelerator_memory_total_bytes",
       "Device memory.", kGauge, 1, gpu, gpu_index},
      {"nvml", "gpu_utilization_percent", "infermeter_accelerator_utilization_ratio",
       "Fraction of time the device was busy.", kGauge, 0.01, gpu, gpu_index},
      {"nvml", "gpu_power_watts", "infermeter_accelerator_power_watts", "Board power.", kGauge, 1,
       gpu, gpu_index},
      {"nvml", "gpu_temperature_c", "infermeter_accelerator_temperature_celsius",
       "Device temperature.", kGauge, 1, gpu, gpu_index},
      {"nvml", "gpu_energy_j", "infermeter_accelerator_energy_joules_total",
       "Energy the device used since the run started.", kCounter, 1, gpu, gpu_index},
      {"ascend", "npu_memory_used_bytes", "infermeter_accelerator_memory_used_bytes",
       "Device memory in use.", kGauge, 1, npu, npu_chip},
      {"ascend", "npu_memory_total_bytes", "infermeter_accelerator_memory_total_bytes",
       "Device memory.", kGauge, 1, npu, npu_chip},
      {"ascend", "npu_aicore_utilization_percent", "infermeter_accelerator_utilization_ratio",
       "Fraction of time the device was busy.", kGauge, 0.01, npu, npu_chip},
      {"ascend", "npu_power_watts", "infermeter_accelerator_power_watts", "Board power.", kGauge, 1,
       npu, npu_chip},
      {"ascend", "npu_temperature_c", "infermeter_accelerator_temperature_celsius",
       "Device temperature.", kGauge, 1, npu, npu_chip},
  };
}

}  // namespace

const std::vector<SampleMetric>& SampleMetrics() {
  static const std::vector<SampleMetric> rows = MakeRows();
  return rows;
}

std::optional<ExportedSample> FindSampleMetric(const results::SampleRecord& sample) {
  std::optional<nlohmann::json> labels;  // parsed once, for the first row that needs it
  for (const SampleMetric& row : SampleMetrics()) {
    if (row.source != sample.source || row.metric != sample.metric) continue;
    const bool unlabelled = sample.labels_json.empty() || sample.labels_json == "{}";
    if (row.kept_labels.empty()) {
      if (unlabelled) return ExportedSample{.metric = &row, .labels = {}};
      continue;
    }
    if (unlabelled) continue;
    if (!labels) labels = nlohmann::json::parse(sample.labels_json, nullptr, false);
    if (!labels->is_object() || labels->size() != row.kept_labels.size()) continue;
    ExportedSample exported{.metric = &row, .labels = {}};
    bool all = true;
    for (const auto& [from, to] : row.kept_labels) {
      const auto it = labels->find(std::string(from));
      if (it == labels->end()) {
        all = false;
        break;
      }
      exported.labels.emplace_back(std::string(to),
                                   it->is_string() ? it->get<std::string>() : it->dump());
    }
    if (all) return exported;
  }
  return std::nullopt;
}

}  // namespace infermeter::exporter
