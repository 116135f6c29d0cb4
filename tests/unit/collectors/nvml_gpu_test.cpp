// The NVML collector on a real NVIDIA GPU (label `gpu`): about one second of samples at 10 Hz
// through the real libnvidia-ml.so.1. Skipped where the library or a GPU is missing. Prints
// what it read, so a first run on new hardware shows the figures (research note §7 item 7).
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "infermeter/collectors/nvml_collector.h"
#include "infermeter/core/clock.h"

namespace infermeter::collectors {
namespace {

TEST(NvmlOnGpu, SamplesForOneSecond) {
  std::string why;
  const std::vector<GpuDescription> gpus = DescribeNvidiaGpus(&why);
  if (gpus.empty()) GTEST_SKIP() << why;
  for (const GpuDescription& gpu : gpus) {
    std::cout << "gpu " << gpu.index << ": " << gpu.name << " " << gpu.uuid << " "
              << gpu.memory_total_bytes << " bytes, driver " << gpu.driver_version
              << ", compute capability " << gpu.compute_capability << "\n";
    EXPECT_FALSE(gpu.name.empty());
    EXPECT_GT(gpu.memory_total_bytes, 0);
  }

  NvmlCollector collector;
  collector.Start({.run = RunId(1), .start_ns = MonotonicNs()});
  std::vector<results::SampleRecord> samples;
  for (int i = 0; i < 10; ++i) {
    const auto begin = MonotonicNs();
    collector.Sample(begin, samples);
    // Sample must not block the sampling thread for long.
    EXPECT_LT(MonotonicNs() - begin, 100'000'000);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  collector.Stop(MonotonicNs(), samples);
  std::vector<results::RunMetric> metrics;
  collector.Summarize({.run = RunId(1)}, metrics, samples);

  bool total_seen = false;
  for (const auto& s : samples) {
    EXPECT_GE(s.value, 0.0) << s.metric << " " << s.labels_json;
    if (s.metric == "gpu_memory_total_bytes") total_seen = s.value > 0;
  }
  EXPECT_TRUE(total_seen) << "nvmlDeviceGetMemoryInfo_v2 (version 0x02000028) gave nothing";
  for (const auto& m : metrics) std::cout << m.name << " = " << m.value << " " << m.unit << "\n";
  for (const auto& [key, value] : collector.Facts()) std::cout << key << ": " << value << "\n";
}

}  // namespace
}  // namespace infermeter::collectors
