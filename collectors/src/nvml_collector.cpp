#include "infermeter/collectors/nvml_collector.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "nvml_library.h"

namespace infermeter::collectors {

using namespace nvml;

namespace {

// What is read from each GPU every sample; a reading a GPU does not support is switched off for
// that GPU alone.
enum Reading {
  kMemory,
  kUtilization,
  kPower,
  kEnergy,
  kSmClock,
  kMemoryClock,
  kTemperature,
  kProcesses,
  kReadingCount
};

constexpr std::array<const char*, kReadingCount> kReadingNames = {
    "memory (nvmlDeviceGetMemoryInfo_v2)",
    "utilization (nvmlDeviceGetUtilizationRates)",
    "power (nvmlDeviceGetPowerUsage)",
    "energy counter (nvmlDeviceGetTotalEnergyConsumption)",
    "SM clock (nvmlDeviceGetClockInfo)",
    "memory clock (nvmlDeviceGetClockInfo)",
    "temperature (nvmlDeviceGetTemperature)",
    "process memory (nvmlDeviceGetComputeRunningProcesses_v3)"};

// Statuses that will not change during a run: asking again every sample would only cost time.
bool Permanent(nvmlReturn_t status) {
  return status == NVML_ERROR_NOT_SUPPORTED || status == NVML_ERROR_FUNCTION_NOT_FOUND ||
         status == NVML_ERROR_NO_PERMISSION;
}

std::string Join(const std::vector<std::string>& parts, const char* separator = "; ") {
  std::string text;
  for (const auto& part : parts) text += (text.empty() ? "" : separator) + part;
  return text;
}

}  // namespace

struct NvmlCollector::State {
  struct Gpu {
    unsigned index = 0;
    std::string labels;  // {"gpu":"<index>"}
    std::string name;
    std::string uuid;
    std::array<bool, kReadingCount> off{};          // not supported here: not asked again
    std::array<bool, kReadingCount> failed_once{};  // a passing failure already noted
    // Energy counter (mJ) at Start and at the latest sample.
    std::optional<unsigned long long> energy_start_mj;
    std::optional<unsigned long long> energy_last_mj;
    // Power samples: their sum and count for the mean, their trapezoidal integral over time.
    double power_sum_w = 0;
    int power_samples = 0;
    double power_integral_j = 0;
    std::int64_t power_last_ns = 0;
    double power_last_w = 0;
    std::optional<unsigned long long> memory_used_peak_bytes;
  };

  explicit State(const std::string& path) : library(path) {}

  // True when `status` is a success; otherwise notes the failure once (and switches the reading
  // off for this GPU when the status will not change).
  bool Check(Gpu& gpu, Reading reading, nvmlReturn_t status) {
    if (status == NVML_SUCCESS) return true;
    const std::string what =
        fmt::format("gpu {}: {}: {}", gpu.index, kReadingNames[reading], library.ErrorText(status));
    if (Permanent(status)) {
      gpu.off[reading] = true;
      unsupported.push_back(what);
    } else {
      ++failure_count;
      if (!gpu.failed_once[reading]) failures.push_back(what);
      gpu.failed_once[reading] = true;
    }
    return false;
  }

  // True when the counter gave a new reading (now in energy_last_mj).
  bool ReadEnergy(Gpu& gpu) {
    if (gpu.off[kEnergy]) return false;
    const NvmlValue<unsigned long long> energy = library.EnergyMillijoules(gpu.index);
    if (!Check(gpu, kEnergy, energy.status)) return false;
    // The counter runs from driver load; the run's energy is its increase from the first
    // reading (at Start, unless that one failed). A counter that went back (driver reloaded)
    // gives nothing.
    if (!gpu.energy_start_mj) gpu.energy_start_mj = energy.value;
    if (energy.value < *gpu.energy_start_mj) return false;
    gpu.energy_last_mj = energy.value;
    return true;
  }

  void SampleGpu(Gpu& gpu, std::int64_t now_ns, std::vector<results::SampleRecord>& out) {
    const auto add = [&](const char* metric, double value, const std::string& labels) {
      out.push_back({.run_id = context.run,
                     .time_ns = now_ns,
                     .source = "nvml",
                     .metric = metric,
                     .labels_json = labels,
                     .value = value});
    };
    if (!gpu.off[kMemory]) {
      const auto memory = library.Memory(gpu.index);
      if (Check(gpu, kMemory, memory.status)) {
        add("gpu_memory_used_bytes", static_cast<double>(memory.value.used), gpu.labels);
        add("gpu_memory_total_bytes", static_cast<double>(memory.value.total), gpu.labels);
        gpu.memory_used_peak_bytes =
            std::max(gpu.memory_used_peak_bytes.value_or(0), memory.value.used);
      }
    }
    if (!gpu.off[kUtilization]) {
      const auto rates = library.Utilization(gpu.index);
      if (Check(gpu, kUtilization, rates.status)) {
        add("gpu_utilization_percent", rates.value.gpu, gpu.labels);
        add("gpu_memory_utilization_percent", rates.value.memory, gpu.labels);
        utilization_sum += rates.value.gpu;
        ++utilization_samples;
      }
    }
    if (!gpu.off[kPower]) {
      const auto power = library.PowerMilliwatts(gpu.index);
      if (Check(gpu, kPower, power.status)) {
        const double watts = power.value / 1000.0;
        add("gpu_power_watts", watts, gpu.labels);
        if (gpu.power_samples > 0 && now_ns > gpu.power_last_ns) {
          gpu.power_integral_j += (watts + gpu.power_last_w) / 2 *
                                  static_cast<double>(now_ns - gpu.power_last_ns) * 1e-9;
        }
        gpu.power_sum_w += watts;
        ++gpu.power_samples;
        gpu.power_last_ns = now_ns;
        gpu.power_last_w = watts;
      }
    }
    if (ReadEnergy(gpu)) {
      add("gpu_energy_j", static_cast<double>(*gpu.energy_last_mj - *gpu.energy_start_mj) / 1000.0,
          gpu.labels);
    }
    const auto clock = [&](Reading reading, int type, const char* metric) {
      if (gpu.off[reading]) return;
      const auto mhz = library.ClockMhz(gpu.index, type);
      if (Check(gpu, reading, mhz.status)) add(metric, mhz.value, gpu.labels);
    };
    clock(kSmClock, NVML_CLOCK_SM, "gpu_sm_clock_mhz");
    clock(kMemoryClock, NVML_CLOCK_MEM, "gpu_memory_clock_mhz");
    if (!gpu.off[kTemperature]) {
      const auto celsius = library.TemperatureCelsius(gpu.index);
      if (Check(gpu, kTemperature, celsius.status)) {
        add("gpu_temperature_c", celsius.value, gpu.labels);
      }
    }
    if (!gpu.off[kProcesses]) {
      const auto processes = library.ComputeProcesses(gpu.index);
      if (Check(gpu, kProcesses, processes.status)) {
        // A process may hold several contexts on one GPU: add them up per pid.
        std::map<unsigned, unsigned long long> bytes_by_pid;
        for (const nvmlProcessInfo_t& process : processes.value) {
          if (std::find(pids.begin(), pids.end(), process.pid) == pids.end()) continue;
          if (process.usedGpuMemory == NVML_VALUE_NOT_AVAILABLE) continue;
          bytes_by_pid[process.pid] += process.usedGpuMemory;
        }
        for (const auto& [pid, bytes] : bytes_by_pid) {
          add("gpu_process_memory_bytes", static_cast<double>(bytes),
              fmt::format(R"({{"gpu":"{}","pid":"{}"}})", gpu.index, pid));
        }
      }
    }
  }

  NvmlLibrary library;
  harness::CollectorContext context;
  std::vector<Gpu> gpus;
  std::vector<unsigned> pids;  // this process first
  std::string driver_version;
  std::string nvml_version;
  std::vector<std::string> unsupported;
  std::vector<std::string> failures;
  int failure_count = 0;
  double utilization_sum = 0;
  int utilization_samples = 0;
  std::string energy_source;
};

NvmlCollector::NvmlCollector(NvmlCollectorOptions options) : options_(std::move(options)) {}

NvmlCollector::~NvmlCollector() = default;

void NvmlCollector::Start(const harness::CollectorContext& context) {
  state_.reset();  // a second Start begins afresh
  auto state = std::make_unique<State>(options_.library_path);
  if (!state->library.available()) throw Error(state->library.unavailable_reason());
  if (state->library.device_count() == 0) {
    throw Error(fmt::format("unavailable: NVML ({}) lists no GPU", options_.library_path));
  }
  state->context = context;
  state->driver_version = state->library.DriverVersion();
  state->nvml_version = state->library.NvmlVersion();
  state->pids.push_back(static_cast<unsigned>(getpid()));
  for (const int pid : options_.extra_pids) {
    const auto p = static_cast<unsigned>(pid);
    if (pid > 0 && std::find(state->pids.begin(), state->pids.end(), p) == state->pids.end()) {
      state->pids.push_back(p);
    }
  }
  for (unsigned i = 0; i < state->library.device_count(); ++i) {
    State::Gpu gpu{.index = i, .labels = fmt::format(R"({{"gpu":"{}"}})", i)};
    const auto name = state->library.Name(i);
    gpu.name = name.ok() ? name.value : "unknown: " + state->library.ErrorText(name.status);
    const auto uuid = state->library.Uuid(i);
    if (uuid.ok()) gpu.uuid = uuid.value;
    state->gpus.push_back(std::move(gpu));
  }
  for (State::Gpu& gpu : state->gpus) state->ReadEnergy(gpu);
  state_ = std::move(state);
}

void NvmlCollector::Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) {
  if (!state_) return;
  try {
    for (State::Gpu& gpu : state_->gpus) state_->SampleGpu(gpu, now_ns, out);
  } catch (...) {
    // Only allocation or formatting can throw here; the samples appended so far stay.
    ++state_->failure_count;
  }
}

void NvmlCollector::Summarize(const harness::CollectorSummaryInput& input,
                              std::vector<results::RunMetric>& metrics,
                              std::vector<results::SampleRecord>&) {
  if (!state_) return;
  const auto add = [&](const char* name, double value, const char* unit) {
    metrics.push_back({.run_id = input.run, .name = name, .value = value, .unit = unit});
  };
  double energy_j = 0;
  bool have_energy = false;
  double power_mean_w = 0;
  bool have_power = false;
  std::optional<unsigned long long> memory_peak;
  std::vector<std::string> sources;
  for (const State::Gpu& gpu : state_->gpus) {
    if (gpu.energy_last_mj) {
      energy_j += static_cast<double>(*gpu.energy_last_mj - *gpu.energy_start_mj) / 1000.0;
      have_energy = true;
      sources.push_back(fmt::format("gpu {}: energy counter increase since Start", gpu.index));
    } else if (gpu.power_samples >= 2) {
      energy_j += gpu.power_integral_j;
      have_energy = true;
      sources.push_back(fmt::format(
          "gpu {}: trapezoidal integral of power samples (no energy counter reading)", gpu.index));
    } else {
      sources.push_back(fmt::format("gpu {}: none (neither energy counter nor power)", gpu.index));
    }
    if (gpu.power_samples > 0) {
      power_mean_w += gpu.power_sum_w / gpu.power_samples;
      have_power = true;
    }
    if (gpu.memory_used_peak_bytes) {
      memory_peak = std::max(memory_peak.value_or(0), *gpu.memory_used_peak_bytes);
    }
  }
  state_->energy_source = Join(sources);
  if (have_energy) add("gpu_energy_j", energy_j, "J");
  if (have_power) add("gpu_power_mean_w", power_mean_w, "W");
  if (memory_peak) add("gpu_memory_used_peak_bytes", static_cast<double>(*memory_peak), "bytes");
  if (state_->utilization_samples > 0) {
    add("gpu_utilization_mean_percent", state_->utilization_sum / state_->utilization_samples, "%");
  }
}

std::vector<std::pair<std::string, std::string>> NvmlCollector::Facts() const {
  if (!state_) return {};
  const State& s = *state_;
  std::vector<std::string> gpus;
  for (const State::Gpu& gpu : s.gpus) {
    gpus.push_back(gpu.uuid.empty() ? fmt::format("{}: {}", gpu.index, gpu.name)
                                    : fmt::format("{}: {} ({})", gpu.index, gpu.name, gpu.uuid));
  }
  std::vector<std::string> pids;
  for (std::size_t i = 0; i < s.pids.size(); ++i) {
    pids.push_back(i == 0 ? fmt::format("{} (this process)", s.pids[i])
                          : fmt::to_string(s.pids[i]));
  }
  std::vector<std::pair<std::string, std::string>> facts = {
      {"library", s.library.path()},
      {"driver_version", s.driver_version.empty() ? "unknown" : s.driver_version},
      {"nvml_version", s.nvml_version.empty() ? "unknown" : s.nvml_version},
      {"gpus", Join(gpus)},
      {"memory_source", "nvmlDeviceGetMemoryInfo_v2: used excludes the driver's reserved memory"},
      {"power_source",
       "nvmlDeviceGetPowerUsage: board power; Ampere and newer (except GA100) average it over 1 s"},
      {"process_memory_pids",
       Join(pids, ", ") + "; NVML lists host PIDs, which may not match inside a container"}};
  if (!s.energy_source.empty()) facts.emplace_back("energy_source", s.energy_source);
  if (!s.unsupported.empty()) facts.emplace_back("unsupported", Join(s.unsupported));
  if (!s.library.missing_functions().empty()) {
    facts.emplace_back("missing_functions", Join(s.library.missing_functions()));
  }
  if (s.failure_count > 0) {
    facts.emplace_back("read_failures", fmt::format("{} readings failed; first of each: {}",
                                                    s.failure_count, Join(s.failures)));
  }
  return facts;
}

std::vector<GpuDescription> DescribeNvidiaGpus(std::string* why_unavailable,
                                               const std::string& library_path) {
  const NvmlLibrary library(library_path);
  const auto why = [&](std::string text) {
    if (why_unavailable != nullptr) *why_unavailable = std::move(text);
  };
  if (!library.available()) {
    why(library.unavailable_reason());
    return {};
  }
  if (library.device_count() == 0) {
    why(fmt::format("unavailable: NVML ({}) lists no GPU", library_path));
    return {};
  }
  why("");
  const std::string driver = library.DriverVersion();
  std::vector<GpuDescription> gpus;
  for (unsigned i = 0; i < library.device_count(); ++i) {
    GpuDescription gpu{.index = i, .driver_version = driver};
    if (const auto name = library.Name(i); name.ok()) gpu.name = name.value;
    if (const auto uuid = library.Uuid(i); uuid.ok()) gpu.uuid = uuid.value;
    if (const auto memory = library.Memory(i); memory.ok()) {
      gpu.memory_total_bytes = static_cast<std::int64_t>(memory.value.total);
    }
    if (const auto cc = library.ComputeCapability(i); cc.ok()) {
      gpu.compute_capability = fmt::format("{}.{}", cc.value.first, cc.value.second);
    }
    gpus.push_back(std::move(gpu));
  }
  return gpus;
}

}  // namespace infermeter::collectors
