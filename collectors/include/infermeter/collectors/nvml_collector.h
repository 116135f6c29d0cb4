#pragma once
// NVIDIA GPU telemetry through NVML (libnvidia-ml.so.1), loaded at run time: on a machine
// without the driver, Start throws "unavailable: libnvidia-ml.so.1: cannot open shared object
// file ..." and the run goes on without this collector.
//
// Series, every sampling interval, per GPU (labels {"gpu":"<NVML index>"}):
//   gpu_memory_used_bytes, gpu_memory_total_bytes  nvmlDeviceGetMemoryInfo_v2 (used excludes
//                                                  the driver's reserved memory)
//   gpu_utilization_percent                        time a kernel ran, of the last 1/6..1 s
//   gpu_memory_utilization_percent                 time device memory was read or written
//   gpu_power_watts                                board power (averaged over 1 s by the
//                                                  driver on Ampere and newer)
//   gpu_energy_j                                   the energy counter's increase since Start
//   gpu_sm_clock_mhz, gpu_memory_clock_mhz
//   gpu_temperature_c
//   gpu_process_memory_bytes                       labels {"gpu":"0","pid":"123"}: device memory
//                                                  of this process and of the extra pids
// A reading the device does not support is skipped for the whole run and named in Facts.
//
// Summary:
//   gpu_energy_j (J)                  sum over GPUs of the energy counter's increase from Start
//                                     to the last sample; for a GPU without the counter, the
//                                     trapezoidal integral of its power samples (Facts say which)
//   gpu_power_mean_w (W)              sum over GPUs of the mean of each GPU's power samples
//   gpu_memory_used_peak_bytes        the highest memory used of any one GPU at any sample
//   gpu_utilization_mean_percent (%)  mean over all GPUs and samples

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infermeter/harness/collector.h"

namespace infermeter::collectors {

inline constexpr const char* kNvmlLibraryName = "libnvidia-ml.so.1";

struct NvmlCollectorOptions {
  std::string library_path = kNvmlLibraryName;  // a soname or a file; tests load a fake
  // Processes besides this one whose device memory to record, e.g. a local inference server.
  // NVML lists host PIDs: inside a container they may not match what the container sees.
  std::vector<int> extra_pids;
};

class NvmlCollector : public harness::Collector {
 public:
  explicit NvmlCollector(NvmlCollectorOptions options = {});
  ~NvmlCollector() override;  // shuts NVML down
  NvmlCollector(const NvmlCollector&) = delete;
  NvmlCollector& operator=(const NvmlCollector&) = delete;

  std::string_view Name() const override { return "nvml"; }
  // Loads NVML, lists the GPUs and takes each energy counter's starting value. Throws Error
  // when NVML is unavailable (the message says why) or lists no GPU.
  void Start(const harness::CollectorContext& context) override;
  // Only on the sampling thread. Never throws; a failed reading is skipped and noted in Facts.
  void Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) override;
  void Summarize(const harness::CollectorSummaryInput& input,
                 std::vector<results::RunMetric>& metrics,
                 std::vector<results::SampleRecord>& samples) override;
  // Library, driver and NVML versions, the GPUs, where the energy figure came from, readings
  // not supported and readings that failed.
  std::vector<std::pair<std::string, std::string>> Facts() const override;

 private:
  struct State;
  NvmlCollectorOptions options_;
  std::unique_ptr<State> state_;
};

// One NVIDIA GPU, for a run's hardware description.
struct GpuDescription {
  unsigned index = 0;  // NVML's index
  std::string name;    // "NVIDIA H100 80GB HBM3"
  std::string uuid;    // "GPU-..."
  std::int64_t memory_total_bytes = 0;
  std::string driver_version;      // "580.65.06"
  std::string compute_capability;  // "9.0"; "" when NVML cannot say
};

// The GPUs NVML lists. Empty, with `*why_unavailable` (when given) saying why, when NVML cannot
// be loaded or initialised or lists none. Never throws for a missing driver.
std::vector<GpuDescription> DescribeNvidiaGpus(std::string* why_unavailable,
                                               const std::string& library_path = kNvmlLibraryName);

}  // namespace infermeter::collectors
