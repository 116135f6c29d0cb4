#pragma once
// Measures this host's peaks: GEMM FLOP/s per dtype and memory bandwidth. The figures are what
// a roofline needs for "how close to the machine's limit did the engine get", and they are
// measured rather than taken from a data sheet, because a VM, a power cap or a BLAS without a
// native BF16 path all move the real ceiling.
//
// Timing, repetitions and the median come from Google Benchmark's library. FP32 GEMMs run on
// OpenBLAS's own thread pool (all cores), BF16 GEMMs on oneDNN's OpenMP threads (all cores);
// the bandwidth kernels on one std::thread per logical core. The measurement occupies every core
// for its duration; do not run it beside a benchmark.

#include <string>
#include <vector>

#include "infermeter/results/records.h"

namespace infermeter::probe {

struct ProbeOptions {
  // Small sizes and one repetition (well under 3 s): for tests, not for figures worth storing.
  bool quick = false;
};

// A peak that could not be measured on this build, with the reason.
struct UnavailablePeak {
  std::string metric;
  std::string dtype;
  std::string reason;
};

struct ProbeResult {
  std::vector<results::HardwarePeak> peaks;  // ready to store; `id` unset
  std::vector<UnavailablePeak> unavailable;
};

// Runs every measurement. Throws infermeter::Error when the machine cannot hold the buffers.
ProbeResult MeasureHostPeaks(const ProbeOptions& options);

// CPU flags that decide whether BF16 GEMM can run natively (from /proc/cpuinfo).
struct CpuFeatures {
  std::string model;
  bool avx512_bf16 = false;
  bool amx_bf16 = false;
};
CpuFeatures ReadCpuFeatures();

}  // namespace infermeter::probe
