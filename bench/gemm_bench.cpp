// The reference engine's MatMul (engines/src/reference/kernels/gemm.h) on the real shapes of
// the v4-mini preset, at decode (M = 1, 4) and prefill (M = 64 .. 4096) row counts, plus a
// 2048^3 GEMM to set against `infermeter probe`'s BF16 peak.
//
// Counters: flop_per_s = 2*M*N*K per call; weight_bytes_per_s = the BF16 weights streamed per
// call (decode, where the weights are the traffic). "/hot" reuses one matrix, which then sits
// in cache; "/cold" cycles through copies that together exceed the last-level cache several
// times over, as a decode step does (v4-mini reads 129 MB of weights per token), so its
// bandwidth is the one to compare with the STREAM figure.
//
//   OMP_NUM_THREADS=<cores> build/release/bench/gemm_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "kernels/bf16.h"
#include "kernels/cpu_features.h"
#include "kernels/gemm.h"

namespace {

namespace ref = infermeter::engines::reference;

struct Shape {
  const char* name;
  std::int64_t n;  // outputs
  std::int64_t k;  // inputs
};

// v4-mini: hidden 512, q_lora_rank 256, 8 heads x head_dim 512, o_groups 2 x o_lora_rank 256,
// experts of width 256, vocabulary 16,384. wo_a is grouped: each of the 2 groups maps its
// 4 heads (2048 values) to 256, so one call is 2048 -> 256.
constexpr Shape kShapes[] = {
    {"wq_b", 4096, 256},          {"wkv", 512, 512},         {"wo_a_group", 256, 2048},
    {"expert_gate_up", 256, 512}, {"expert_down", 512, 256}, {"lm_head", 16384, 512},
};

// Bytes of weights the "/cold" runs cycle through: 4x a 32 MiB last-level cache.
constexpr std::int64_t kColdBytes = std::int64_t{128} << 20;

std::vector<float> Random(std::size_t n, std::uint32_t seed) {
  std::vector<float> v(n);
  std::uint32_t state = seed;
  for (float& x : v) {
    state = state * 1664525u + 1013904223u;
    x = static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  return v;
}

ref::Bf16Matrix RandomMatrix(std::int64_t n, std::int64_t k, std::uint32_t seed) {
  const std::vector<float> values = Random(static_cast<std::size_t>(n * k), seed);
  std::vector<ref::Bf16> bf16(values.size());
  ref::ConvertToBf16(values.data(), bf16.data(), values.size());
  return ref::Bf16Matrix(n, k, std::move(bf16));
}

void BmMatMul(benchmark::State& state, Shape shape, std::int64_t m, bool cold,
              ref::MatMulPath path) {
  const std::int64_t copies =
      cold ? std::max<std::int64_t>(2, kColdBytes / (shape.n * shape.k * 2)) : 1;
  std::vector<ref::Bf16Matrix> weights;
  for (std::int64_t c = 0; c < copies; ++c) {
    weights.push_back(RandomMatrix(shape.n, shape.k, static_cast<std::uint32_t>(c + 1)));
  }
  const std::vector<float> x = Random(static_cast<std::size_t>(m * shape.k), 7);
  std::vector<float> y(static_cast<std::size_t>(m * shape.n));
  std::size_t next = 0;
  for (auto _ : state) {
    ref::MatMulVia(path, x.data(), m, shape.k, weights[next], y.data(), shape.n, false);
    next = (next + 1) % weights.size();
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * static_cast<double>(m * shape.n * shape.k);
  state.counters["flop_per_s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  const bool gemv = path == ref::MatMulPath::kGemv ||
                    (path == ref::MatMulPath::kAuto && m <= ref::MatMulGemvMaxRows());
  if (gemv || cold) {
    state.counters["weight_bytes_per_s"] = benchmark::Counter(
        static_cast<double>(shape.n * shape.k * 2), benchmark::Counter::kIsIterationInvariantRate);
  }
  state.SetLabel(gemv ? fmt::format("gemv {}", ref::ToString(ref::ActiveKernelIsa()))
                      : ref::MatMulOneDnnImpl(weights.front()));
}

// One MoE layer's decode at batch 1 in v4-mini: 3 experts (2 routed + 1 shared), their gate
// and up projections (6 matrices of 512 -> 256), then their down projections (3 of 256 -> 512),
// all 256 KB. Either one MatMul per matrix or one MatMulGroup per stage. Weights cycle through
// enough layers to come from memory, as in a real step.
void BmExpertLayer(benchmark::State& state, bool grouped) {
  constexpr int kExperts = 3;
  constexpr std::int64_t kHidden = 512;
  constexpr std::int64_t kWidth = 256;
  constexpr std::int64_t kLayerBytes = kExperts * 3 * kHidden * kWidth * 2;
  const std::int64_t layers = kColdBytes / kLayerBytes;
  std::vector<ref::Bf16Matrix> weights;  // per layer: gate, up of each expert, then downs
  for (std::int64_t l = 0; l < layers; ++l) {
    for (int e = 0; e < 2 * kExperts; ++e) {
      weights.push_back(RandomMatrix(kWidth, kHidden, static_cast<std::uint32_t>(weights.size())));
    }
    for (int e = 0; e < kExperts; ++e) {
      weights.push_back(RandomMatrix(kHidden, kWidth, static_cast<std::uint32_t>(weights.size())));
    }
  }
  const std::vector<float> x = Random(kHidden, 3);
  std::vector<float> hidden(2 * kExperts * kWidth);
  std::vector<float> out(kExperts * kHidden);
  std::int64_t layer = 0;
  std::vector<ref::MatMulTask> up_tasks(2 * kExperts);
  std::vector<ref::MatMulTask> down_tasks(kExperts);
  for (auto _ : state) {
    const ref::Bf16Matrix* w = &weights[static_cast<std::size_t>(layer * 3 * kExperts)];
    for (int e = 0; e < 2 * kExperts; ++e) {
      up_tasks[e] = {x.data(), 1, kHidden, &w[e], hidden.data() + e * kWidth, kWidth, false};
    }
    for (int e = 0; e < kExperts; ++e) {
      down_tasks[e] = {hidden.data() + 2 * e * kWidth, 1,       kWidth, &w[2 * kExperts + e],
                       out.data() + e * kHidden,       kHidden, false};
    }
    for (const auto* stage : {&up_tasks, &down_tasks}) {
      if (grouped) {
        ref::MatMulGroup(ref::MatMulPath::kAuto, *stage);
      } else {
        for (const ref::MatMulTask& t : *stage) {
          ref::MatMul(t.x, t.m, t.ldx, *t.w, t.y, t.ldy);
        }
      }
    }
    layer = (layer + 1) % layers;
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["weight_bytes_per_s"] = benchmark::Counter(
      static_cast<double>(kLayerBytes), benchmark::Counter::kIsIterationInvariantRate);
}

void RegisterAll() {
  for (bool grouped : {false, true}) {
    benchmark::RegisterBenchmark(
        grouped ? "ExpertLayer/M:1/cold/grouped" : "ExpertLayer/M:1/cold/one_call_per_matrix",
        BmExpertLayer, grouped)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
  for (const Shape& shape : kShapes) {
    for (std::int64_t m : {1, 4, 64, 512, 4096}) {
      // Decode row counts read weights from memory in a real step; prefill ones reuse each
      // weight M times, so cache residency barely matters there.
      for (bool cold : {false, true}) {
        if (cold && m > 4) continue;
        const std::string name = fmt::format("MatMul/{}/{}x{}/M:{}/{}", shape.name, shape.k,
                                             shape.n, m, cold ? "cold" : "hot");
        benchmark::RegisterBenchmark(name.c_str(), BmMatMul, shape, m, cold, ref::MatMulPath::kAuto)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  // Where the GEMV stops paying: both kernels at small M, weights from memory as in decode.
  // MatMul's GEMV threshold (MatMulGemvMaxRows) is read off these.
  for (const Shape& shape : {kShapes[0], kShapes[3], kShapes[5]}) {
    for (std::int64_t m : {1, 2, 3, 4, 6, 8, 12, 16}) {
      for (auto [path, path_name] : {std::pair{ref::MatMulPath::kGemv, "gemv"},
                                     std::pair{ref::MatMulPath::kOneDnn, "onednn"}}) {
        const std::string name = fmt::format("Crossover/{}/{}/{}x{}/M:{}/cold", path_name,
                                             shape.name, shape.k, shape.n, m);
        benchmark::RegisterBenchmark(name.c_str(), BmMatMul, shape, m, true, path)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  benchmark::RegisterBenchmark("MatMul/square/2048x2048/M:2048/hot", BmMatMul,
                               Shape{"square", 2048, 2048}, 2048, false, ref::MatMulPath::kAuto)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
