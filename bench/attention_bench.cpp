// One decode query through one attention layer of each kind the reference engine runs (gqa,
// mla absorbed, dsa, swa, csa, hca) at 1K to 128K tokens of context. The layers are the
// presets' (llama-mini, v3-mini, v3.2-mini, v4-mini: hidden 512, 8 heads, full-size heads);
// the cache is filled with random well-formed entries instead of a prefill, and the timed call
// is the whole attention block (projections, cache writes, compressor and indexer, attention,
// output projection) for one token.
//
// Counters: keys_per_s = keys the query reads (main attention plus the indexer's keys);
// flop_per_s = every FLOP the block counts; attention_flop_per_s = the attention class alone.
//
//   OMP_NUM_THREADS=<cores> build/release/bench/attention_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "infermeter/models/builtin.h"
#include "infermeter/models/flops.h"
#include "infermeter/models/kv_cache.h"
#include "kv/kv_cache.h"
#include "kv/kv_layout.h"
#include "model/bench_hooks.h"
#include "model/model.h"
#include "model/weights.h"

namespace {

namespace ref = infermeter::engines::reference;
namespace models = infermeter::models;
using models::AttentionKind;

// A one-layer model of `kind` at its preset's width.
models::Architecture OneLayer(AttentionKind kind) {
  const char* preset = kind == AttentionKind::kGqa   ? "llama-mini"
                       : kind == AttentionKind::kMla ? "v3-mini"
                       : kind == AttentionKind::kDsa ? "v3.2-mini"
                                                     : "v4-mini";
  models::Architecture a = models::FindBuiltin(preset).value();
  const models::FfnKind ffn =
      a.dense_intermediate_size > 0 ? models::FfnKind::kDense : models::FfnKind::kMoe;
  a.layers = {{kind, ffn}};
  a.name = fmt::format("{}-{}", preset, models::ToString(kind));
  return a;
}

void BM_DecodeAttention(benchmark::State& state, AttentionKind kind) {
  const std::int64_t context = state.range(0);
  const models::Architecture arch = OneLayer(kind);
  const ref::KvLayout layout = ref::MakeKvLayout(arch, models::DefaultCacheFormat(arch));
  auto model = std::make_unique<ref::Model>(arch, ref::MakeRandomWeights(arch, 1), layout);
  // Storage is allocated block by block, so a generous budget costs nothing; V4 layers keep
  // every block's window part until the positions are committed.
  ref::KvCache cache(layout, std::int64_t{8} << 30, false);
  std::vector<infermeter::TokenId> tokens(static_cast<std::size_t>(context));
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    tokens[i] =
        static_cast<infermeter::TokenId>(i * 7919 % static_cast<std::size_t>(arch.vocab_size));
  }
  ref::SequenceKv kv;
  if (!cache.Admit(kv, tokens) || !cache.Reserve(kv, context)) {
    state.SkipWithError("cache budget too small");
    return;
  }
  ref::FillCacheForBench(*model, cache, kv, context - 1, 7);
  cache.Commit(kv, tokens, context - 1);
  const ref::ForwardSlice slice{tokens, &kv, context - 1, 1, false};

  infermeter::FlopsByOpClass flops{};
  ref::ForwardAttentionOnly(*model, 0, {&slice, 1}, cache, flops);  // warm-up; FLOPs per call
  double total = 0;
  for (const double f : flops) total += f;
  const double attention = flops[static_cast<std::size_t>(infermeter::OpClass::kAttention)];
  for (auto _ : state) {
    infermeter::FlopsByOpClass f{};
    ref::ForwardAttentionOnly(*model, 0, {&slice, 1}, cache, f);
    benchmark::DoNotOptimize(f);
  }
  const double keys = static_cast<double>(models::AttendedKeys(arch, kind, context) +
                                          models::IndexerKeys(arch, kind, context));
  using benchmark::Counter;
  state.counters["keys_per_s"] = Counter(keys, Counter::kIsIterationInvariantRate);
  state.counters["flop_per_s"] = Counter(total, Counter::kIsIterationInvariantRate);
  state.counters["attention_flop_per_s"] = Counter(attention, Counter::kIsIterationInvariantRate);
  cache.Release(kv);
}

void Contexts(benchmark::internal::Benchmark* b) {
  for (const std::int64_t k : {1, 4, 16, 32, 128}) b->Arg(k * 1024);
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK_CAPTURE(BM_DecodeAttention, gqa, AttentionKind::kGqa)->Apply(Contexts);
BENCHMARK_CAPTURE(BM_DecodeAttention, mla_absorbed, AttentionKind::kMla)->Apply(Contexts);
BENCHMARK_CAPTURE(BM_DecodeAttention, dsa, AttentionKind::kDsa)->Apply(Contexts);
BENCHMARK_CAPTURE(BM_DecodeAttention, swa, AttentionKind::kSwa)->Apply(Contexts);
BENCHMARK_CAPTURE(BM_DecodeAttention, csa, AttentionKind::kCsa)->Apply(Contexts);
BENCHMARK_CAPTURE(BM_DecodeAttention, hca, AttentionKind::kHca)->Apply(Contexts);

}  // namespace

BENCHMARK_MAIN();
