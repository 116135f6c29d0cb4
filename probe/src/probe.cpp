#include "infermeter/probe/probe.h"

#include <cblas.h>
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "onednn_bf16_gemm.h"

namespace infermeter::probe {
namespace {

constexpr const char* kGemmMetric = "gemm_flops_per_s";
constexpr const char* kBandwidthMetric = "memory_bandwidth_bytes_per_s";
constexpr const char* kRateCounter = "rate_per_s";

struct ProbePlan {
  std::vector<int> gemm_sizes;
  std::size_t stream_array_bytes = 0;
  int repetitions = 0;
  double min_time_s = 0;  // per repetition; Google Benchmark picks the iteration count
};

ProbePlan PlanFor(const ProbeOptions& options) {
  if (options.quick) return {{64, 128}, std::size_t{4} << 20, 1, 0.01};
  // 256 MiB per array is far beyond any last-level cache a 2026 server CPU has, so the
  // bandwidth kernels stream from DRAM as STREAM requires (arrays >= 4x the LLC).
  return {{512, 1024, 2048}, std::size_t{256} << 20, 5, 0.2};
}

// The median of a benchmark's repetitions, or the single run when there is one repetition.
struct CapturedRate {
  double median_per_s = 0;
  std::vector<double> repetitions_per_s;
  double iterations = 0;
};

// Collects the rate counter of every run instead of printing it: the probe reads Google
// Benchmark's statistics from its Run records, never from text.
class CaptureReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context& /*context*/) override { return true; }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      // function_name is the registered name, without the "/real_time" and "/repeats:N" suffixes.
      const std::string name = run.run_name.function_name;
      if (run.error_occurred) {
        errors_[name] = run.error_message;
        continue;
      }
      const auto counter = run.counters.find(kRateCounter);
      if (counter == run.counters.end()) continue;
      CapturedRate& rate = rates_[name];
      if (run.run_type == Run::RT_Iteration) {
        rate.repetitions_per_s.push_back(counter->second.value);
        rate.iterations = static_cast<double>(run.iterations);
        // With one repetition there is no aggregate; the run itself is the figure.
        if (rate.repetitions_per_s.size() == 1) rate.median_per_s = counter->second.value;
      } else if (run.aggregate_name == "median") {
        rate.median_per_s = counter->second.value;
      }
    }
  }

  const CapturedRate& Rate(const std::string& name) const {
    if (const auto error = errors_.find(name); error != errors_.end()) {
      throw Error(fmt::format("probe benchmark '{}' failed: {}", name, error->second));
    }
    const auto rate = rates_.find(name);
    if (rate == rates_.end()) throw Error(fmt::format("probe benchmark '{}' did not run", name));
    return rate->second;
  }

 private:
  std::map<std::string, CapturedRate> rates_;
  std::map<std::string, std::string> errors_;
};

benchmark::Counter RateCounter(double per_iteration) {
  return benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

// Deterministic inputs in [-1, 1): the values do not change the time of a dense GEMM, but
// denormals or NaNs could on some CPUs, so avoid zeros and garbage alike.
std::vector<float> FilledMatrix(int n, std::uint32_t seed) {
  std::vector<float> m(static_cast<std::size_t>(n) * static_cast<std::size_t>(n));
  std::uint32_t state = seed;
  for (float& x : m) {
    state = state * 1664525u + 1013904223u;
    x = static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  return m;
}

double GemmFlops(int n) { return 2.0 * n * static_cast<double>(n) * n; }

void BmSgemm(benchmark::State& state, int n) {
  const std::vector<float> a = FilledMatrix(n, 1);
  const std::vector<float> b = FilledMatrix(n, 2);
  std::vector<float> c(a.size());
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n,
                0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters[kRateCounter] = RateCounter(GemmFlops(n));
}

// cblas_sbgemm: bfloat16 inputs, FP32 accumulation and output. Only OpenBLAS builds with
// BUILD_BFLOAT16=1 export it (Debian 12's 0.3.21 does not), so it is looked up at run time and
// the BF16 peak is reported as unavailable where it is missing.
using SbgemmFn = void (*)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
                          float, const std::uint16_t*, blasint, const std::uint16_t*, blasint,
                          float, float*, blasint);

SbgemmFn FindSbgemm() { return reinterpret_cast<SbgemmFn>(dlsym(RTLD_DEFAULT, "cblas_sbgemm")); }

std::uint16_t ToBf16(float value) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  bits += 0x7FFFu + ((bits >> 16) & 1u);  // round to nearest even
  return static_cast<std::uint16_t>(bits >> 16);
}

void BmSbgemm(benchmark::State& state, SbgemmFn sbgemm, int n) {
  std::vector<std::uint16_t> a;
  std::vector<std::uint16_t> b;
  for (float x : FilledMatrix(n, 1)) a.push_back(ToBf16(x));
  for (float x : FilledMatrix(n, 2)) b.push_back(ToBf16(x));
  std::vector<float> c(a.size());
  for (auto _ : state) {
    sbgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
           c.data(), n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters[kRateCounter] = RateCounter(GemmFlops(n));
}

// oneDNN's BF16 matmul, the kernel the reference engine's prefill uses. The implementation name
// goes to `impls` so that the stored figure says whether it is a native BF16 kernel.
void BmOneDnnBf16(benchmark::State& state, int n, std::map<int, std::string>* impls) {
  OneDnnBf16Gemm gemm(n);
  (*impls)[n] = gemm.impl();
  for (auto _ : state) gemm.Run();
  state.counters[kRateCounter] = RateCounter(GemmFlops(n));
}

// Runs fn(begin, end) over [0, count) split across `threads` std::threads (the caller takes
// the last share).
template <typename Fn>
void ParallelFor(unsigned threads, std::size_t count, const Fn& fn) {
  std::vector<std::thread> workers;
  const std::size_t share = (count + threads - 1) / threads;
  for (unsigned t = 0; t + 1 < threads; ++t) {
    const std::size_t begin = std::min(count, t * share);
    const std::size_t end = std::min(count, begin + share);
    workers.emplace_back([&fn, begin, end] { fn(begin, end); });
  }
  fn(std::min(count, (threads - 1) * share), count);
  for (std::thread& worker : workers) worker.join();
}

// STREAM's arrays. Each thread first-touches the part it later streams, so on a NUMA machine
// the pages land on the node that reads them.
struct StreamArrays {
  explicit StreamArrays(std::size_t array_bytes, unsigned threads)
      : count(array_bytes / sizeof(double)),
        a(new double[count]),
        b(new double[count]),
        c(new double[count]) {
    ParallelFor(threads, count, [this](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        a[i] = 1.0;
        b[i] = 2.0;
        c[i] = 0.0;
      }
    });
  }
  std::size_t count;
  std::unique_ptr<double[]> a;
  std::unique_ptr<double[]> b;
  std::unique_ptr<double[]> c;
};

void BmStreamCopy(benchmark::State& state, StreamArrays* arrays, unsigned threads) {
  double* a = arrays->a.get();
  double* c = arrays->c.get();
  for (auto _ : state) {
    ParallelFor(threads, arrays->count, [a, c](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) c[i] = a[i];
    });
    benchmark::ClobberMemory();
  }
  // STREAM counts one read and one write per element, no write-allocate traffic.
  state.counters[kRateCounter] = RateCounter(2.0 * sizeof(double) * arrays->count);
}

void BmStreamTriad(benchmark::State& state, StreamArrays* arrays, unsigned threads) {
  double* a = arrays->a.get();
  const double* b = arrays->b.get();
  const double* c = arrays->c.get();
  constexpr double kScalar = 3.0;
  for (auto _ : state) {
    ParallelFor(threads, arrays->count, [a, b, c](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) a[i] = b[i] + kScalar * c[i];
    });
    benchmark::ClobberMemory();
  }
  state.counters[kRateCounter] = RateCounter(3.0 * sizeof(double) * arrays->count);
}

benchmark::internal::Benchmark* Configure(benchmark::internal::Benchmark* bench,
                                          const ProbePlan& plan) {
  // Real time: the work runs on threads the benchmark's own thread only waits for.
  return bench->UseRealTime()
      ->Repetitions(plan.repetitions)
      ->MinTime(plan.min_time_s)
      ->Unit(benchmark::kMillisecond);
}

std::string Hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::string RepetitionsText(const ProbePlan& plan) {
  return plan.repetitions == 1 ? "1 repetition" : fmt::format("median of {}", plan.repetitions);
}

struct GemmBest {
  int size = 0;
  CapturedRate rate;
};

GemmBest BestGemm(const CaptureReporter& reporter, const std::string& prefix,
                  const std::vector<int>& sizes, nlohmann::json* by_size) {
  GemmBest best;
  for (int n : sizes) {
    const CapturedRate& rate = reporter.Rate(fmt::format("{}/{}", prefix, n));
    (*by_size)[std::to_string(n)] = rate.median_per_s;
    if (rate.median_per_s > best.rate.median_per_s) best = {n, rate};
  }
  return best;
}

}  // namespace

CpuFeatures ReadCpuFeatures() {
  CpuFeatures features;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && features.model.empty()) features.model = value;
    if (key == "flags") {
      std::istringstream words(value);
      std::string flag;
      while (words >> flag) {
        if (flag == "avx512_bf16") features.avx512_bf16 = true;
        if (flag == "amx_bf16") features.amx_bf16 = true;
      }
      break;  // every core lists the same flags
    }
  }
  if (features.model.empty()) features.model = "unknown";
  return features;
}

ProbeResult MeasureHostPeaks(const ProbeOptions& options) {
  const ProbePlan plan = PlanFor(options);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  const CpuFeatures cpu = ReadCpuFeatures();
  const SbgemmFn sbgemm = FindSbgemm();
  const int blas_threads = openblas_get_num_threads();

  std::optional<StreamArrays> arrays;
  try {
    arrays.emplace(plan.stream_array_bytes, threads);
  } catch (const std::bad_alloc&) {
    throw Error(fmt::format("probe: cannot allocate 3 arrays of {} MiB for the bandwidth test",
                            plan.stream_array_bytes >> 20));
  }

  benchmark::ClearRegisteredBenchmarks();
  // OpenBLAS first, then oneDNN: each library's threads keep spinning for a moment after a call,
  // so alternating them would time one against the other's idle spinners.
  for (int n : plan.gemm_sizes) {
    Configure(benchmark::RegisterBenchmark(fmt::format("sgemm/{}", n).c_str(), BmSgemm, n), plan);
    if (sbgemm != nullptr) {
      Configure(
          benchmark::RegisterBenchmark(fmt::format("sbgemm/{}", n).c_str(), BmSbgemm, sbgemm, n),
          plan);
    }
  }
  std::map<int, std::string> onednn_impls;
  for (int n : plan.gemm_sizes) {
    Configure(benchmark::RegisterBenchmark(fmt::format("onednn_bf16/{}", n).c_str(), BmOneDnnBf16,
                                           n, &onednn_impls),
              plan);
  }
  Configure(benchmark::RegisterBenchmark("stream_copy", BmStreamCopy, &*arrays, threads), plan);
  Configure(benchmark::RegisterBenchmark("stream_triad", BmStreamTriad, &*arrays, threads), plan);
  CaptureReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();

  const std::int64_t now_ns = WallNs();
  const results::HardwarePeak base{.measured_unix_ns = now_ns,
                                   .host = Hostname(),
                                   .cpu_model = cpu.model,
                                   .logical_cores = static_cast<int>(threads)};
  const nlohmann::json cpu_json = {{"avx512_bf16", cpu.avx512_bf16}, {"amx_bf16", cpu.amx_bf16}};
  ProbeResult result;

  auto gemm_peak = [&](const std::string& dtype, const GemmBest& best, nlohmann::json by_size,
                       std::string method, nlohmann::json details) {
    results::HardwarePeak peak = base;
    peak.metric = kGemmMetric;
    peak.dtype = dtype;
    peak.value = best.rate.median_per_s;
    peak.method = std::move(method);
    details["flop_per_s_by_size"] = std::move(by_size);
    details["repetitions_flop_per_s"] = best.rate.repetitions_per_s;
    details["cpu_flags"] = cpu_json;
    details["quick"] = options.quick;
    peak.details_json = details.dump();
    return peak;
  };
  auto openblas_peak = [&](const std::string& prefix, const std::string& dtype) {
    nlohmann::json by_size = nlohmann::json::object();
    const GemmBest best = BestGemm(reporter, prefix, plan.gemm_sizes, &by_size);
    return gemm_peak(
        dtype, best, by_size,
        fmt::format("cblas_{} {}³ (best of {} sizes), {}, OpenBLAS {} threads", prefix, best.size,
                    plan.gemm_sizes.size(), RepetitionsText(plan), blas_threads),
        {{"blas", openblas_get_config()}, {"blas_threads", blas_threads}});
  };
  result.peaks.push_back(openblas_peak("sgemm", "fp32"));

  // BF16: oneDNN always (it is linked in); OpenBLAS's sbgemm too where the build exports it.
  // The stored peak is the faster of the two, and its method says which it was.
  nlohmann::json onednn_by_size = nlohmann::json::object();
  const GemmBest onednn = BestGemm(reporter, "onednn_bf16", plan.gemm_sizes, &onednn_by_size);
  const std::string& impl = onednn_impls[onednn.size];
  const bool native = OneDnnBf16Gemm::IsNativeBf16(impl);
  results::HardwarePeak bf16 = gemm_peak(
      "bf16", onednn, onednn_by_size,
      fmt::format("oneDNN matmul bf16 x bf16 -> f32 {}³ (best of {} sizes), {}, {} OpenMP threads, "
                  "kernel {}{}",
                  onednn.size, plan.gemm_sizes.size(), RepetitionsText(plan),
                  OneDnnBf16Gemm::Threads(), impl,
                  native ? "" : " (no native BF16 kernel on this CPU: emulated)"),
      {{"library", "oneDNN"},
       {"impl", impl},
       {"native_bf16", native},
       {"threads", OneDnnBf16Gemm::Threads()}});
  if (sbgemm != nullptr) {
    const results::HardwarePeak openblas = openblas_peak("sbgemm", "bf16");
    nlohmann::json details = nlohmann::json::parse(bf16.details_json);
    details["openblas_sbgemm_flop_per_s"] = openblas.value;
    bf16.details_json = details.dump();
    if (openblas.value > bf16.value) {
      nlohmann::json openblas_details = nlohmann::json::parse(openblas.details_json);
      openblas_details["onednn_flop_per_s"] = bf16.value;
      openblas_details["onednn_impl"] = impl;
      bf16 = openblas;
      bf16.details_json = openblas_details.dump();
    }
  }
  result.peaks.push_back(std::move(bf16));

  const CapturedRate& copy = reporter.Rate("stream_copy");
  const CapturedRate& triad = reporter.Rate("stream_triad");
  results::HardwarePeak bandwidth = base;
  bandwidth.metric = kBandwidthMetric;
  bandwidth.value = triad.median_per_s;
  bandwidth.method = fmt::format("STREAM triad, 3 x {} MiB doubles, {} threads, {}",
                                 plan.stream_array_bytes >> 20, threads, RepetitionsText(plan));
  bandwidth.details_json = nlohmann::json{
      {"copy_bytes_per_s", copy.median_per_s},
      {"triad_bytes_per_s", triad.median_per_s},
      {"repetitions_triad_bytes_per_s", triad.repetitions_per_s},
      {"array_bytes", plan.stream_array_bytes},
      {"threads", threads},
      {"bytes_counted_as", "STREAM: copy 2 x 8 B, triad 3 x 8 B per element"},
      {"quick", options.quick}}.dump();
  result.peaks.push_back(std::move(bandwidth));
  return result;
}

}  // namespace infermeter::probe
