#include "infermeter/exporter/engine_stats_collectable.h"

#include <array>
#include <utility>

#include <prometheus/metric_family.h>

namespace infermeter::exporter {
namespace {

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type) {
  return {.name = std::move(name), .help = std::move(help), .type = type, .metric = {}};
}

prometheus::ClientMetric Point(prometheus::MetricType type, double value,
                               std::vector<prometheus::ClientMetric::Label> labels) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return metric;
}

}  // namespace

EngineStatsCollectable::EngineStatsCollectable(const Engine& engine, std::string model)
    : engine_(engine), model_(std::move(model)), counts_flops_(engine.Describe().counts_flops) {}

std::vector<prometheus::MetricFamily> EngineStatsCollectable::Collect() const {
  const EngineStats stats = engine_.Stats();
  const std::vector<prometheus::ClientMetric::Label> by_model{{"model", model_}};
  std::vector<prometheus::MetricFamily> families;
  const auto add = [&](const char* name, const char* help, prometheus::MetricType type,
                       double value) {
    families.push_back(Family(name, help, type));
    families.back().metric.push_back(Point(type, value, by_model));
  };
  using Type = prometheus::MetricType;
  add("infermeter_engine_kv_cache_used_bytes", "KV cache in use.", Type::Gauge,
      static_cast<double>(stats.kv_used_bytes));
  add("infermeter_engine_kv_cache_allocated_bytes", "KV cache blocks held, used or not.",
      Type::Gauge, static_cast<double>(stats.kv_allocated_bytes));
  if (stats.kv_capacity_bytes > 0) {
    add("infermeter_engine_kv_cache_capacity_bytes", "KV cache budget.", Type::Gauge,
        static_cast<double>(stats.kv_capacity_bytes));
  }
  add("infermeter_engine_requests_running", "Requests the engine is running.", Type::Gauge,
      static_cast<double>(stats.running_requests));
  add("infermeter_engine_requests_waiting", "Requests waiting in the engine's queue.", Type::Gauge,
      static_cast<double>(stats.waiting_requests));
  add("infermeter_engine_prompt_tokens_computed_total",
      "Prompt tokens the engine computed (prefix-cache hits excluded).", Type::Counter,
      static_cast<double>(stats.prompt_tokens_computed));
  add("infermeter_engine_generated_tokens_total", "Tokens the engine generated.", Type::Counter,
      static_cast<double>(stats.generated_tokens));
  add("infermeter_engine_prefix_cache_queried_tokens_total",
      "Prompt tokens looked up in the prefix cache.", Type::Counter,
      static_cast<double>(stats.prefix_cache_queried_tokens));
  add("infermeter_engine_prefix_cache_hit_tokens_total", "Prompt tokens found in the prefix cache.",
      Type::Counter, static_cast<double>(stats.prefix_cache_hit_tokens));
  add("infermeter_engine_preemptions_total", "Requests preempted to free KV cache.", Type::Counter,
      static_cast<double>(stats.preemptions));
  add("infermeter_engine_steps_total", "Scheduler iterations.", Type::Counter,
      static_cast<double>(stats.steps));
  if (counts_flops_) {
    families.push_back(Family("infermeter_engine_flops_total",
                              "FLOPs the engine executed, by op class.", Type::Counter));
    for (std::size_t i = 0; i < stats.flops.size(); ++i) {
      families.back().metric.push_back(
          Point(Type::Counter, stats.flops[i],
                {{"model", model_}, {"op_class", std::string(ToString(static_cast<OpClass>(i)))}}));
    }
  }
  return families;
}

}  // namespace infermeter::exporter
