#pragma once
// Mixture-of-experts routing and dispatch, callable without a whole model (bench/moe_bench.cpp).

#include <cstdint>
#include <span>

#include "infermeter/core/engine.h"
#include "infermeter/models/architecture.h"
#include "model/arch_util.h"
#include "model/layer_weights.h"
#include "model/workspace.h"

namespace infermeter::engines::reference {

// Picks experts_per_token experts and their weights per row: learned router (scores by
// traits.scoring, top-k on score + selection bias, weights renormalised and scaled by
// route_scale) or, without a router, the tid2eid table with equal weights. experts and
// weights have rows x experts_per_token entries.
void RouteTokens(const models::Architecture& arch, const ModelTraits& traits, const LayerWeights& w,
                 std::span<const TokenId> tokens, const float* x, std::int64_t rows,
                 std::int32_t* experts, float* weights, Workspace& ws, FlopsByOpClass& flops);

// The whole MoE block for `rows` rows of x (rows x hidden): route, gather each expert's rows,
// one MatMul per expert and projection, combine weighted, plus the shared experts.
void RunMoe(const models::Architecture& arch, const ModelTraits& traits, const LayerWeights& w,
            std::span<const TokenId> tokens, const float* x, std::int64_t rows, float* out,
            Workspace& ws, FlopsByOpClass& flops);

}  // namespace infermeter::engines::reference
