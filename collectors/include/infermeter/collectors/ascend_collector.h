#pragma once
// Huawei Ascend NPU telemetry: memory, AI Core utilization, power and temperature per chip, and
// memory per process, read through DCMI (libdcmi.so, opened at run time) when it loads, else by
// running `npu-smi info`. No Ascend library is linked: a machine without one gets a clean
// "unavailable: ..." from Start and the run goes on without this collector.
//
// Readings are taken on a background thread (npu-smi takes a second or more on an 8-NPU host,
// too long for the sampling thread), and Sample hands over the newest reading not yet handed
// over, stamped with the monotonic time it was taken. So the series has at most one point per
// sampling interval, and the summary (energy, means, peak) is computed from exactly the points
// stored in `samples`.
//
// Samples (source "ascend", labels {"npu":"<card>","chip":"<chip>"}):
//   npu_memory_used_bytes, npu_memory_total_bytes  HBM when the chip has HBM, else its DDR
//   npu_aicore_utilization_percent, npu_power_watts, npu_temperature_c
//   npu_process_memory_bytes                       labels add "pid" and "process"
// Run metrics, over the run's window [start_ns, end_ns]:
//   npu_energy_j           trapezoidal integral of the power summed over all chips (J)
//   npu_power_mean_w       that energy over the time it covers: mean total power (W)
//   npu_memory_used_peak_bytes            the highest memory reading of any one chip
//   npu_aicore_utilization_mean_percent   mean of all chips' AI Core readings

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "infermeter/harness/collector.h"

namespace infermeter::collectors {

// One chip at one moment. Values the source could not give are empty.
struct NpuChipReading {
  int npu_id = 0;   // card id (npu-smi's "NPU")
  int chip_id = 0;  // chip on the card
  std::string name;
  std::optional<double> power_w;
  std::optional<double> temperature_c;
  std::optional<double> aicore_percent;
  std::optional<std::int64_t> memory_used_bytes;
  std::optional<std::int64_t> memory_total_bytes;
  bool memory_is_hbm = false;
};

struct NpuProcessReading {
  int npu_id = 0;
  int chip_id = 0;
  std::int64_t pid = 0;
  std::string name;
  std::int64_t memory_bytes = 0;
};

struct NpuReading {
  std::int64_t time_ns = 0;  // monotonic clock (core/clock.h), as every time a run records
  std::vector<NpuChipReading> chips;
  std::vector<NpuProcessReading> processes;
};

struct AscendCollectorOptions {
  // libdcmi.so locations tried in order; empty means DefaultDcmiPaths(). A path that does not
  // exist ("/nonexistent/libdcmi.so") forces npu-smi.
  std::vector<std::string> dcmi_paths;
  // The npu-smi executable: a name looked up on $PATH, or a path.
  std::string npu_smi = "npu-smi";
  std::int64_t npu_smi_timeout_ms = 5000;
  // How often the background thread reads; npu-smi runs back to back when it is slower.
  std::int64_t poll_interval_ms = 500;
  // false: read in Sample itself, stamped with Sample's now_ns (for fast sources and tests).
  bool background_polling = true;
};

class AscendSource;  // where readings come from: DCMI or npu-smi (ascend_collector.cpp)

// The documented libdcmi.so locations: /usr/local/dcmi/libdcmi.so,
// /usr/local/Ascend/driver/lib64/driver/libdcmi.so, then plain "libdcmi.so" (the loader path).
std::vector<std::string> DefaultDcmiPaths();

class AscendCollector final : public harness::Collector {
 public:
  explicit AscendCollector(AscendCollectorOptions options = {});
  ~AscendCollector() override;
  AscendCollector(const AscendCollector&) = delete;
  AscendCollector& operator=(const AscendCollector&) = delete;

  std::string_view Name() const override { return "ascend"; }
  // DCMI if it loads and initialises, else npu-smi if it is on PATH and its first reading
  // parses; else throws Error("unavailable: ...") naming why each failed.
  void Start(const harness::CollectorContext& context) override;
  void Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) override;
  void Stop(std::int64_t now_ns, std::vector<results::SampleRecord>& out) override;
  void Summarize(const harness::CollectorSummaryInput& input,
                 std::vector<results::RunMetric>& metrics,
                 std::vector<results::SampleRecord>& samples) override;
  // npu_source ("dcmi <version>" or "npu-smi <version>"), npu_devices, npu_driver_version,
  // npu_readings_not_supported, npu_energy_method, and why DCMI was not used when it was not.
  std::vector<std::pair<std::string, std::string>> Facts() const override;

 private:
  void PollLoop();
  void Emit(const NpuReading& reading, std::vector<results::SampleRecord>& out);
  void StopPolling();

  AscendCollectorOptions options_;
  std::unique_ptr<AscendSource> source_;  // set by Start
  harness::CollectorContext context_;
  std::vector<std::pair<std::string, std::string>> facts_;

  // Shared with the polling thread.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<NpuReading> latest_;
  std::uint64_t latest_sequence_ = 0;
  std::uint64_t emitted_sequence_ = 0;
  std::int64_t failed_reads_ = 0;
  std::int64_t reads_ = 0;
  std::string last_error_;
  std::atomic<bool> stopping_{false};
  std::thread poller_;

  std::vector<NpuReading> history_;  // what Sample handed over (without processes)
};

// What a run's hardware description says about each Ascend chip.
struct NpuDescription {
  int npu_id = 0;
  int chip_id = 0;
  std::string name;                     // "910B3"
  std::int64_t memory_total_bytes = 0;  // HBM when present, else DDR; 0 when unknown
  std::string driver_version;           // "" when unknown
  std::string source;                   // "dcmi" or "npu-smi <tool version>"
};

// The Ascend chips of this host, from DCMI or npu-smi as AscendCollector::Start would pick.
// Empty, with `*why_unavailable` filled (when given), where neither is available.
std::vector<NpuDescription> DescribeAscendNpus(std::string* why_unavailable);
std::vector<NpuDescription> DescribeAscendNpus(const AscendCollectorOptions& options,
                                               std::string* why_unavailable);

}  // namespace infermeter::collectors
