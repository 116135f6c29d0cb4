#pragma once
// libnvidia-ml.so.1, opened at run time through DynamicLibrary so that no binary links NVML:
// NvmlLibrary binds the functions of nvml_api.h by their versioned symbol names, initialises
// NVML, takes a handle for every device and wraps each reading the collector needs. A missing
// library, a library without a required function, or an nvmlInit that fails is a normal
// condition reported as "unavailable: <reason>"; a missing optional function only disables the
// reading it gives (the reading's status is NVML_ERROR_FUNCTION_NOT_FOUND, as NVML itself says).

#include <string>
#include <utility>
#include <vector>

#include "infermeter/core/dynamic_library.h"
#include "nvml_api.h"

namespace infermeter::collectors {

// One NVML reading: the value when status is NVML_SUCCESS, else the status that says why not.
template <typename T>
struct NvmlValue {
  nvml::nvmlReturn_t status = nvml::NVML_ERROR_FUNCTION_NOT_FOUND;
  T value{};
  bool ok() const { return status == nvml::NVML_SUCCESS; }
};

class NvmlLibrary {
 public:
  // Opens `path` (a soname or a file), binds the functions and calls nvmlInit_v2. Never throws:
  // when any of that fails, available() is false and unavailable_reason() says why.
  explicit NvmlLibrary(const std::string& path);
  // nvmlShutdown when nvmlInit succeeded (NVML counts inits, so other users are unaffected).
  ~NvmlLibrary();
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  bool available() const { return initialized_; }
  // "unavailable: libnvidia-ml.so.1: cannot open shared object file: No such file or
  // directory", "unavailable: nvmlInit_v2 failed: Driver Not Loaded (NVML error 9)".
  const std::string& unavailable_reason() const { return reason_; }
  const std::string& path() const { return path_; }
  // Optional functions the library does not export, by symbol name.
  const std::vector<std::string>& missing_functions() const { return missing_; }

  // nvmlErrorString's text with the code: "Not Supported (NVML error 3)".
  std::string ErrorText(nvml::nvmlReturn_t status) const;

  // "" when NVML cannot say.
  std::string DriverVersion() const;
  std::string NvmlVersion() const;

  // Devices in NVML's index order. A device whose handle could not be had keeps its index; its
  // readings all fail with the status nvmlDeviceGetHandleByIndex_v2 gave.
  unsigned device_count() const { return static_cast<unsigned>(devices_.size()); }

  NvmlValue<std::string> Name(unsigned index) const;
  NvmlValue<std::string> Uuid(unsigned index) const;
  NvmlValue<nvml::nvmlMemory_v2_t> Memory(unsigned index) const;
  NvmlValue<nvml::nvmlUtilization_t> Utilization(unsigned index) const;
  NvmlValue<unsigned> PowerMilliwatts(unsigned index) const;
  // The device's energy counter since the driver was loaded (Volta and newer).
  NvmlValue<unsigned long long> EnergyMillijoules(unsigned index) const;
  NvmlValue<unsigned> ClockMhz(unsigned index, int clock_type) const;
  NvmlValue<unsigned> TemperatureCelsius(unsigned index) const;
  NvmlValue<std::pair<int, int>> ComputeCapability(unsigned index) const;
  // The processes with a compute context on the device, with the device memory each uses.
  NvmlValue<std::vector<nvml::nvmlProcessInfo_t>> ComputeProcesses(unsigned index) const;

 private:
  struct Device {
    nvml::nvmlDevice_t handle = nullptr;
    nvml::nvmlReturn_t status = nvml::NVML_SUCCESS;  // of nvmlDeviceGetHandleByIndex_v2
  };
  // The device's handle, or the status that stands for every reading of it.
  nvml::nvmlReturn_t Handle(unsigned index, nvml::nvmlDevice_t* handle) const;
  // Calls `call(handle, value)` when the function is bound and the device has a handle.
  template <typename T, typename Call>
  NvmlValue<T> Read(bool bound, unsigned index, Call call) const;
  NvmlValue<std::string> Text(unsigned index, nvml::nvmlDeviceGetName_fn fn, unsigned size) const;
  void Unavailable(std::string reason);

  DynamicLibrary library_;
  std::string path_;
  std::string reason_;
  std::vector<std::string> missing_;
  bool initialized_ = false;
  std::vector<Device> devices_;

  // Required.
  nvml::nvmlInit_v2_fn init_ = nullptr;
  nvml::nvmlShutdown_fn shutdown_ = nullptr;
  nvml::nvmlErrorString_fn error_string_ = nullptr;
  nvml::nvmlDeviceGetCount_v2_fn get_count_ = nullptr;
  nvml::nvmlDeviceGetHandleByIndex_v2_fn get_handle_ = nullptr;
  // Optional: null when the library does not export them.
  nvml::nvmlSystemGetDriverVersion_fn driver_version_ = nullptr;
  nvml::nvmlSystemGetNVMLVersion_fn nvml_version_ = nullptr;
  nvml::nvmlDeviceGetName_fn name_ = nullptr;
  nvml::nvmlDeviceGetUUID_fn uuid_ = nullptr;
  nvml::nvmlDeviceGetMemoryInfo_v2_fn memory_ = nullptr;
  nvml::nvmlDeviceGetUtilizationRates_fn utilization_ = nullptr;
  nvml::nvmlDeviceGetPowerUsage_fn power_ = nullptr;
  nvml::nvmlDeviceGetTotalEnergyConsumption_fn energy_ = nullptr;
  nvml::nvmlDeviceGetClockInfo_fn clock_ = nullptr;
  nvml::nvmlDeviceGetTemperature_fn temperature_ = nullptr;
  nvml::nvmlDeviceGetComputeRunningProcesses_v3_fn processes_ = nullptr;
  nvml::nvmlDeviceGetCudaComputeCapability_fn compute_capability_ = nullptr;
};

}  // namespace infermeter::collectors
