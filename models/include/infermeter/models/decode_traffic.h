#pragma once
// Bytes a decode step reads from memory: weights and KV cache. Together with flops.h this is
// the roofline input (time >= max(FLOPs / peak, bytes / bandwidth)). Activations are not
// counted. Formulas in docs/COST_MODEL.md ("Bytes read in decode").

#include <cstdint>
#include <optional>
#include <string_view>

#include "infermeter/models/architecture.h"
#include "infermeter/models/kv_cache.h"

namespace infermeter::models {

// Bytes per parameter, block scales included, for expert and for all other weights.
struct WeightFormat {
  std::string_view name;
  double non_expert_bytes_per_param = 2;
  double expert_bytes_per_param = 2;
};

// "bf16": 2 and 2. "fp8": DeepSeek-V3's FP8 e4m3 with one fp32 scale per 128x128 block.
// "fp8-fp4": DeepSeek-V4's checkpoint: FP8 with one ue8m0 byte per 128x128 block, experts in
// MXFP4 (half a byte per weight plus one e8m0 byte per 32).
std::optional<WeightFormat> FindWeightFormat(std::string_view name);
// How the model is published: "fp8-fp4" for V4, "fp8" for MLA/DSA models, "bf16" otherwise.
WeightFormat DefaultWeightFormat(const Architecture& arch);

// Distinct experts that `tokens` tokens touch in one MoE layer when each picks `top_k` of
// `experts` uniformly at random: experts * (1 - (1 - top_k / experts)^tokens). Equals top_k
// for one token and tends to min(experts, tokens * top_k) from below.
double ExpectedDistinctExperts(std::int64_t experts, std::int64_t top_k, std::int64_t tokens);

struct DecodeTraffic {
  double weight_bytes = 0;            // weights read once per step, shared by the batch
  double kv_read_bytes = 0;           // cache entries and indexer keys read, all sequences
  double weight_bytes_per_token = 0;  // weight_bytes / batch
};

// One decode step of `batch` sequences all at context L (the new token sees L tokens).
DecodeTraffic DecodeStepTraffic(const Architecture& arch, std::int64_t context_tokens,
                                std::int64_t batch, const WeightFormat& weights,
                                const CacheFormat& cache);

// Cache bytes one sequence's decode steps read at contexts first_context..last_context (the
// sum of DecodeStepTraffic(...).kv_read_bytes at batch 1 over that range, in closed form).
// Zero when the range is empty.
double DecodeKvReadBytes(const Architecture& arch, std::int64_t first_context,
                         std::int64_t last_context, const CacheFormat& cache);

}  // namespace infermeter::models
