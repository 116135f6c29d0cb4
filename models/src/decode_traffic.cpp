#include "infermeter/models/decode_traffic.h"

#include <cmath>

#include "infermeter/models/flops.h"
#include "infermeter/models/params.h"
#include "shapes.h"

namespace infermeter::models {

std::optional<WeightFormat> FindWeightFormat(std::string_view name) {
  constexpr double kBlock = 128.0 * 128.0;
  if (name == "bf16") return WeightFormat{"bf16", 2.0, 2.0};
  if (name == "fp8") return WeightFormat{"fp8", 1.0 + 4.0 / kBlock, 1.0 + 4.0 / kBlock};
  if (name == "fp8-fp4") return WeightFormat{"fp8-fp4", 1.0 + 1.0 / kBlock, 0.5 + 1.0 / 32.0};
  return std::nullopt;
}

WeightFormat DefaultWeightFormat(const Architecture& a) {
  if (a.Uses(AttentionKind::kSwa) || a.Uses(AttentionKind::kCsa) || a.Uses(AttentionKind::kHca)) {
    return *FindWeightFormat("fp8-fp4");
  }
  if (a.Uses(AttentionKind::kMla) || a.Uses(AttentionKind::kDsa)) return *FindWeightFormat("fp8");
  return *FindWeightFormat("bf16");
}

double ExpectedDistinctExperts(std::int64_t experts, std::int64_t top_k, std::int64_t tokens) {
  if (experts <= 0) return 0;
  const double miss = 1.0 - static_cast<double>(top_k) / static_cast<double>(experts);
  return static_cast<double>(experts) * (1.0 - std::pow(miss, static_cast<double>(tokens)));
}

DecodeTraffic DecodeStepTraffic(const Architecture& a, std::int64_t context, std::int64_t batch,
                                const WeightFormat& weights, const CacheFormat& cache) {
  const ParamCounts params = CountParams(a);
  DecodeTraffic t;
  // Everything but the experts is read once per step; the input embedding contributes one
  // row per sequence (ActiveNonExpert() leaves the table out).
  t.weight_bytes = weights.non_expert_bytes_per_param *
                   static_cast<double>(params.ActiveNonExpert() + batch * a.hidden_size);
  const double experts_touched =
      ExpectedDistinctExperts(a.moe.num_routed_experts, a.moe.experts_per_token, batch) +
      static_cast<double>(a.moe.num_shared_experts);
  const std::int64_t moe_layers = a.CountLayers(FfnKind::kMoe) + a.CountLayers(FfnKind::kHashMoe);
  t.weight_bytes += weights.expert_bytes_per_param * static_cast<double>(moe_layers) *
                    experts_touched * static_cast<double>(detail::ExpertParams(a));
  t.weight_bytes_per_token = t.weight_bytes / static_cast<double>(batch);

  double kv = 0;
  for (const auto& layer : a.layers) {
    kv += static_cast<double>(AttendedKeys(a, layer.attention, context) *
                              KvEntryBytes(a, layer.attention, cache.kv));
    if (const std::int64_t keys = IndexerKeys(a, layer.attention, context); keys > 0) {
      kv += static_cast<double>(keys * IndexerKeyBytes(a, cache.indexer_keys));
    }
  }
  t.kv_read_bytes = kv * static_cast<double>(batch);
  return t;
}

double DecodeKvReadBytes(const Architecture& a, std::int64_t first_context,
                         std::int64_t last_context, const CacheFormat& cache) {
  if (last_context < first_context) return 0;
  const auto range = [&](auto sum, AttentionKind kind) {
    return static_cast<double>(sum(a, kind, last_context) - sum(a, kind, first_context - 1));
  };
  double bytes = 0;
  for (const auto& layer : a.layers) {
    bytes += range(SumAttendedKeys, layer.attention) *
             static_cast<double>(KvEntryBytes(a, layer.attention, cache.kv));
    const double keys = range(SumIndexerKeys, layer.attention);
    if (keys > 0) bytes += keys * static_cast<double>(IndexerKeyBytes(a, cache.indexer_keys));
  }
  return bytes;
}

}  // namespace infermeter::models
