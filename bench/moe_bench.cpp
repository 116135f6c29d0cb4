// The reference engine's MoE block on v4-mini's shape (hidden 512, 16 routed experts of width
// 256, top-2 by a sqrt-softplus router, 1 shared expert): route, gather each expert's rows,
// one MatMul per expert and projection, combine, shared expert. Rows = tokens in the step:
// 1 (decode), 64, 512, 4096 (prefill).
//
// Counters: tokens_per_s; flop_per_s = router + expert FLOPs as the block counts them.
//
//   OMP_NUM_THREADS=<cores> build/release/bench/moe_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "infermeter/models/builtin.h"
#include "model/arch_util.h"
#include "model/layer_weights.h"
#include "model/moe.h"
#include "model/weights.h"
#include "model/workspace.h"

namespace {

namespace ref = infermeter::engines::reference;
namespace models = infermeter::models;

void BM_MoeDispatch(benchmark::State& state) {
  const std::int64_t rows = state.range(0);
  models::Architecture arch = models::FindBuiltin("v4-mini").value();
  arch.layers = {{models::AttentionKind::kSwa, models::FfnKind::kMoe}};
  const ref::ModelTraits traits = ref::TraitsFor(arch);
  const ref::ModelWeights weights = ref::MakeRandomWeights(arch, 1);
  const ref::ModelView view = ref::BuildModelView(arch, traits, weights);
  const std::int64_t d = arch.hidden_size;
  std::vector<float> x(static_cast<std::size_t>(rows * d));
  std::vector<infermeter::TokenId> tokens(static_cast<std::size_t>(rows));
  std::uint32_t s = 1;
  for (float& v : x) {
    s = s * 1664525u + 1013904223u;
    v = static_cast<float>(s >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<infermeter::TokenId>(i);
  std::vector<float> out(x.size());
  ref::Workspace ws;
  infermeter::FlopsByOpClass flops{};
  ref::RunMoe(arch, traits, view.layers[0], tokens, x.data(), rows, out.data(), ws, flops);
  double total = 0;
  for (const double f : flops) total += f;
  for (auto _ : state) {
    infermeter::FlopsByOpClass f{};
    ref::RunMoe(arch, traits, view.layers[0], tokens, x.data(), rows, out.data(), ws, f);
    benchmark::DoNotOptimize(out.data());
  }
  using benchmark::Counter;
  state.counters["tokens_per_s"] =
      Counter(static_cast<double>(rows), Counter::kIsIterationInvariantRate);
  state.counters["flop_per_s"] = Counter(total, Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_MoeDispatch)
    ->Arg(1)
    ->Arg(64)
    ->Arg(512)
    ->Arg(4096)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
