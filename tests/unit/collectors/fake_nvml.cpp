// TEST ONLY: a fake libnvidia-ml for fault injection, built as a MODULE library that
// nvml_test.cpp hands to the NVML collector by path, so the collector's real dlopen/dlsym path,
// units, labels, energy deltas and NOT_SUPPORTED handling are tested on machines without a GPU.
// It implements the few NVML functions the collector binds (with the ABI of
// collectors/src/nvml_api.h) over two made-up GPUs, plus fake_nvml_* functions through which the
// test sets readings and statuses. Never shipped, never installed.
//
// Built twice: in full, and with FAKE_NVML_MINIMAL, which exports only the functions the
// collector requires, to test that missing optional functions only switch readings off.

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "nvml_api.h"

using namespace infermeter::collectors::nvml;

namespace {

struct FakeGpu {
  std::string name;
  std::string uuid;
  nvmlMemory_v2_t memory{};
  nvmlUtilization_t utilization{};
  unsigned power_mw = 0;
  nvmlReturn_t power_status = NVML_SUCCESS;
  unsigned long long energy_mj = 0;
  nvmlReturn_t energy_status = NVML_SUCCESS;
  unsigned sm_clock_mhz = 0;
  unsigned memory_clock_mhz = 0;
  unsigned temperature_c = 0;
  std::vector<nvmlProcessInfo_t> processes;
};

struct FakeState {
  nvmlReturn_t init_status = NVML_SUCCESS;
  int active_inits = 0;
  std::array<FakeGpu, 2> gpus;
};

constexpr unsigned long long kGiB = 1ull << 30;

FakeState Defaults() {
  FakeState s;
  // GPU 0 supports everything. GPU 1 has neither power reading nor energy counter.
  s.gpus[0] = {.name = "Fake H100 80GB HBM3",
               .uuid = "GPU-fa4e0000-0000-0000-0000-000000000000",
               .memory = {0, 80 * kGiB, 1 * kGiB, 69 * kGiB, 10 * kGiB},
               .utilization = {75, 30},
               .power_mw = 250'000,
               .energy_mj = 1'000'000,
               .sm_clock_mhz = 1980,
               .memory_clock_mhz = 2619,
               .temperature_c = 55,
               .processes = {}};
  s.gpus[1] = {.name = "Fake H100 80GB HBM3",
               .uuid = "GPU-fa4e0001-0000-0000-0000-000000000000",
               .memory = {0, 80 * kGiB, 1 * kGiB, 59 * kGiB, 20 * kGiB},
               .utilization = {25, 10},
               .power_mw = 0,
               .power_status = NVML_ERROR_NOT_SUPPORTED,
               .energy_mj = 0,
               .energy_status = NVML_ERROR_NOT_SUPPORTED,
               .sm_clock_mhz = 1755,
               .memory_clock_mhz = 2619,
               .temperature_c = 48,
               .processes = {}};
  return s;
}

FakeState& State() {
  static FakeState state = Defaults();
  return state;
}

// Back to the defaults; the count of live nvmlInit calls stays, as it is the library's own.
void Reset() {
  const int active_inits = State().active_inits;
  State() = Defaults();
  State().active_inits = active_inits;
}

// The device behind a handle, or nullptr for a handle this library did not give out. (Unused in
// the FAKE_NVML_MINIMAL build, as is CopyText.)
[[maybe_unused]] FakeGpu* Gpu(nvmlDevice_t device) {
  for (FakeGpu& gpu : State().gpus) {
    if (reinterpret_cast<nvmlDevice_t>(&gpu) == device) return &gpu;
  }
  return nullptr;
}

[[maybe_unused]] nvmlReturn_t CopyText(const std::string& text, char* out, unsigned length) {
  if (out == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (text.size() + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
  std::memcpy(out, text.c_str(), text.size() + 1);
  return NVML_SUCCESS;
}

}  // namespace

#define FAKE_NVML_EXPORT extern "C" __attribute__((visibility("default")))

// --- the test's controls ------------------------------------------------------------------------

FAKE_NVML_EXPORT void fake_nvml_reset() { Reset(); }
FAKE_NVML_EXPORT void fake_nvml_set_init_status(int status) { State().init_status = status; }
FAKE_NVML_EXPORT int fake_nvml_active_inits() { return State().active_inits; }
FAKE_NVML_EXPORT void fake_nvml_set_power(unsigned gpu, unsigned milliwatts, int status) {
  State().gpus.at(gpu).power_mw = milliwatts;
  State().gpus.at(gpu).power_status = status;
}
FAKE_NVML_EXPORT void fake_nvml_set_energy(unsigned gpu, unsigned long long millijoules,
                                           int status) {
  State().gpus.at(gpu).energy_mj = millijoules;
  State().gpus.at(gpu).energy_status = status;
}
FAKE_NVML_EXPORT void fake_nvml_set_memory_used(unsigned gpu, unsigned long long bytes) {
  State().gpus.at(gpu).memory.used = bytes;
}
FAKE_NVML_EXPORT void fake_nvml_add_process(unsigned gpu, unsigned pid, unsigned long long bytes) {
  State().gpus.at(gpu).processes.push_back({pid, bytes, 0, 0});
}

// --- required NVML functions
// ----------------------------------------------------------------------

FAKE_NVML_EXPORT nvmlReturn_t nvmlInit_v2() {
  if (State().init_status == NVML_SUCCESS) ++State().active_inits;
  return State().init_status;
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlShutdown() {
  if (State().active_inits == 0) return NVML_ERROR_UNINITIALIZED;
  --State().active_inits;
  return NVML_SUCCESS;
}
FAKE_NVML_EXPORT const char* nvmlErrorString(nvmlReturn_t status) {
  switch (status) {
    case NVML_SUCCESS:
      return "Success";
    case NVML_ERROR_NOT_SUPPORTED:
      return "Not Supported";
    case NVML_ERROR_NO_PERMISSION:
      return "Insufficient Permissions";
    case NVML_ERROR_DRIVER_NOT_LOADED:
      return "Driver Not Loaded";
    case NVML_ERROR_GPU_IS_LOST:
      return "GPU is lost";
    default:
      return "Unknown Error";
  }
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned* count) {
  if (State().active_inits == 0) return NVML_ERROR_UNINITIALIZED;
  *count = static_cast<unsigned>(State().gpus.size());
  return NVML_SUCCESS;
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned index, nvmlDevice_t* device) {
  if (State().active_inits == 0) return NVML_ERROR_UNINITIALIZED;
  if (index >= State().gpus.size()) return NVML_ERROR_INVALID_ARGUMENT;
  *device = reinterpret_cast<nvmlDevice_t>(&State().gpus[index]);
  return NVML_SUCCESS;
}

#ifndef FAKE_NVML_MINIMAL
// --- optional NVML functions --------------------------------------------------------------------

FAKE_NVML_EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned length) {
  return CopyText("999.1.2", version, length);
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlSystemGetNVMLVersion(char* version, unsigned length) {
  return CopyText("13.999.1.2", version, length);
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned length) {
  FakeGpu* gpu = Gpu(device);
  return gpu == nullptr ? NVML_ERROR_INVALID_ARGUMENT : CopyText(gpu->name, name, length);
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned length) {
  FakeGpu* gpu = Gpu(device);
  return gpu == nullptr ? NVML_ERROR_INVALID_ARGUMENT : CopyText(gpu->uuid, uuid, length);
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device,
                                                         nvmlMemory_v2_t* memory) {
  FakeGpu* gpu = Gpu(device);
  if (gpu == nullptr || memory == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  // As the real library does: a struct without the v2 version is refused
  // (NVML_ERROR_ARGUMENT_VERSION_MISMATCH).
  if (memory->version != nvmlMemory_v2) return 25;
  *memory = gpu->memory;
  memory->version = nvmlMemory_v2;
  return NVML_SUCCESS;
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device,
                                                            nvmlUtilization_t* rates) {
  FakeGpu* gpu = Gpu(device);
  if (gpu == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *rates = gpu->utilization;
  return NVML_SUCCESS;
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned* milliwatts) {
  FakeGpu* gpu = Gpu(device);
  if (gpu == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (gpu->power_status == NVML_SUCCESS) *milliwatts = gpu->power_mw;
  return gpu->power_status;
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device,
                                                                  unsigned long long* mj) {
  FakeGpu* gpu = Gpu(device);
  if (gpu == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (gpu->energy_status == NVML_SUCCESS) *mj = gpu->energy_mj;
  return gpu->energy_status;
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, int type, unsigned* mhz) {
  FakeGpu* gpu = Gpu(device);
  if (gpu == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (type == NVML_CLOCK_SM) {
    *mhz = gpu->sm_clock_mhz;
  } else if (type == NVML_CLOCK_MEM) {
    *mhz = gpu->memory_clock_mhz;
  } else {
    return NVML_ERROR_NOT_SUPPORTED;
  }
  return NVML_SUCCESS;
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor,
                                                       unsigned* celsius) {
  FakeGpu* gpu = Gpu(device);
  if (gpu == nullptr || sensor != NVML_TEMPERATURE_GPU) return NVML_ERROR_INVALID_ARGUMENT;
  *celsius = gpu->temperature_c;
  return NVML_SUCCESS;
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device,
                                                                      unsigned* count,
                                                                      nvmlProcessInfo_t* infos) {
  FakeGpu* gpu = Gpu(device);
  if (gpu == nullptr || count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const auto have = static_cast<unsigned>(gpu->processes.size());
  // As documented: too small a buffer (or none) gives the count needed.
  if (*count < have || (infos == nullptr && have > 0)) {
    *count = have;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  std::copy(gpu->processes.begin(), gpu->processes.end(), infos);
  *count = have;
  return NVML_SUCCESS;
}
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int* major,
                                                                 int* minor) {
  if (Gpu(device) == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *major = 9;
  *minor = 0;
  return NVML_SUCCESS;
}
#endif  // FAKE_NVML_MINIMAL
