#include "nvml_library.h"

#include <algorithm>
#include <array>
#include <type_traits>

#include <fmt/format.h>

namespace infermeter::collectors {

using namespace nvml;

NvmlLibrary::NvmlLibrary(const std::string& path) : path_(path) {
  std::string error;
  library_ = DynamicLibrary::Open(path, &error);
  if (!library_.loaded()) {
    Unavailable(error);
    return;
  }

  // Required: without these there is nothing to read. dlerror's text names the symbol.
  const auto require = [&](auto& fn, const char* symbol) {
    if (!reason_.empty()) return;
    fn = library_.Function<std::remove_reference_t<decltype(fn)>>(symbol, &error);
    if (fn == nullptr) Unavailable(error);
  };
  require(init_, "nvmlInit_v2");
  require(shutdown_, "nvmlShutdown");
  require(error_string_, "nvmlErrorString");
  require(get_count_, "nvmlDeviceGetCount_v2");
  require(get_handle_, "nvmlDeviceGetHandleByIndex_v2");
  if (!reason_.empty()) return;

  const auto optional = [&](auto& fn, const char* symbol) {
    fn = library_.Function<std::remove_reference_t<decltype(fn)>>(symbol);
    if (fn == nullptr) missing_.emplace_back(symbol);
  };
  optional(driver_version_, "nvmlSystemGetDriverVersion");
  optional(nvml_version_, "nvmlSystemGetNVMLVersion");
  optional(name_, "nvmlDeviceGetName");
  optional(uuid_, "nvmlDeviceGetUUID");
  optional(memory_, "nvmlDeviceGetMemoryInfo_v2");
  optional(utilization_, "nvmlDeviceGetUtilizationRates");
  optional(power_, "nvmlDeviceGetPowerUsage");
  optional(energy_, "nvmlDeviceGetTotalEnergyConsumption");
  optional(clock_, "nvmlDeviceGetClockInfo");
  optional(temperature_, "nvmlDeviceGetTemperature");
  optional(processes_, "nvmlDeviceGetComputeRunningProcesses_v3");
  optional(compute_capability_, "nvmlDeviceGetCudaComputeCapability");

  if (const nvmlReturn_t status = init_(); status != NVML_SUCCESS) {
    Unavailable("nvmlInit_v2 failed: " + ErrorText(status));
    return;
  }
  initialized_ = true;
  unsigned count = 0;
  if (const nvmlReturn_t status = get_count_(&count); status != NVML_SUCCESS) {
    shutdown_();
    initialized_ = false;
    Unavailable("nvmlDeviceGetCount_v2 failed: " + ErrorText(status));
    return;
  }
  devices_.resize(count);
  for (unsigned i = 0; i < count; ++i) devices_[i].status = get_handle_(i, &devices_[i].handle);
}

NvmlLibrary::~NvmlLibrary() {
  if (initialized_) shutdown_();
}

void NvmlLibrary::Unavailable(std::string reason) { reason_ = "unavailable: " + reason; }

std::string NvmlLibrary::ErrorText(nvmlReturn_t status) const {
  const char* text = error_string_ != nullptr ? error_string_(status) : nullptr;
  return fmt::format("{} (NVML error {})", text != nullptr ? text : "unknown error", status);
}

namespace {

// A system version string ("" when the function is missing or fails). The two version getters
// share nvmlSystemGetDriverVersion's signature.
std::string SystemText(nvmlSystemGetDriverVersion_fn fn) {
  std::array<char, kSystemVersionBufferSize> text{};
  if (fn == nullptr || fn(text.data(), text.size()) != NVML_SUCCESS) return "";
  text.back() = '\0';  // never trust a foreign library to terminate the string
  return text.data();
}

}  // namespace

std::string NvmlLibrary::DriverVersion() const { return SystemText(driver_version_); }

std::string NvmlLibrary::NvmlVersion() const { return SystemText(nvml_version_); }

nvmlReturn_t NvmlLibrary::Handle(unsigned index, nvmlDevice_t* handle) const {
  if (!initialized_) return NVML_ERROR_UNINITIALIZED;
  if (index >= devices_.size()) return NVML_ERROR_INVALID_ARGUMENT;
  *handle = devices_[index].handle;
  return devices_[index].status;
}

template <typename T, typename Call>
NvmlValue<T> NvmlLibrary::Read(bool bound, unsigned index, Call call) const {
  NvmlValue<T> result;
  if (!bound) return result;  // status stays NVML_ERROR_FUNCTION_NOT_FOUND
  nvmlDevice_t device = nullptr;
  if ((result.status = Handle(index, &device)) != NVML_SUCCESS) return result;
  result.status = call(device, result.value);
  return result;
}

NvmlValue<std::string> NvmlLibrary::Text(unsigned index, nvmlDeviceGetName_fn fn,
                                         unsigned size) const {
  return Read<std::string>(fn != nullptr, index, [&](nvmlDevice_t d, std::string& value) {
    std::vector<char> text(size, '\0');
    const nvmlReturn_t status = fn(d, text.data(), size);
    text.back() = '\0';  // never trust a foreign library to terminate the string
    if (status == NVML_SUCCESS) value = text.data();
    return status;
  });
}

NvmlValue<std::string> NvmlLibrary::Name(unsigned index) const {
  return Text(index, name_, kDeviceNameBufferSize);
}

NvmlValue<std::string> NvmlLibrary::Uuid(unsigned index) const {
  return Text(index, uuid_, kDeviceUuidBufferSize);
}

NvmlValue<nvmlMemory_v2_t> NvmlLibrary::Memory(unsigned index) const {
  return Read<nvmlMemory_v2_t>(memory_ != nullptr, index, [&](nvmlDevice_t d, auto& memory) {
    memory.version = nvmlMemory_v2;  // the v2 call rejects a struct without its version
    return memory_(d, &memory);
  });
}

NvmlValue<nvmlUtilization_t> NvmlLibrary::Utilization(unsigned index) const {
  return Read<nvmlUtilization_t>(utilization_ != nullptr, index, [&](nvmlDevice_t d, auto& rates) {
    return utilization_(d, &rates);
  });
}

NvmlValue<unsigned> NvmlLibrary::PowerMilliwatts(unsigned index) const {
  return Read<unsigned>(power_ != nullptr, index,
                        [&](nvmlDevice_t d, auto& milliwatts) { return power_(d, &milliwatts); });
}

NvmlValue<unsigned long long> NvmlLibrary::EnergyMillijoules(unsigned index) const {
  return Read<unsigned long long>(
      energy_ != nullptr, index,
      [&](nvmlDevice_t d, auto& millijoules) { return energy_(d, &millijoules); });
}

NvmlValue<unsigned> NvmlLibrary::ClockMhz(unsigned index, int clock_type) const {
  return Read<unsigned>(clock_ != nullptr, index,
                        [&](nvmlDevice_t d, auto& mhz) { return clock_(d, clock_type, &mhz); });
}

NvmlValue<unsigned> NvmlLibrary::TemperatureCelsius(unsigned index) const {
  return Read<unsigned>(temperature_ != nullptr, index, [&](nvmlDevice_t d, auto& celsius) {
    return temperature_(d, NVML_TEMPERATURE_GPU, &celsius);
  });
}

NvmlValue<std::pair<int, int>> NvmlLibrary::ComputeCapability(unsigned index) const {
  return Read<std::pair<int, int>>(compute_capability_ != nullptr, index,
                                   [&](nvmlDevice_t d, auto& version) {
                                     return compute_capability_(d, &version.first, &version.second);
                                   });
}

NvmlValue<std::vector<nvmlProcessInfo_t>> NvmlLibrary::ComputeProcesses(unsigned index) const {
  return Read<std::vector<nvmlProcessInfo_t>>(
      processes_ != nullptr, index, [&](nvmlDevice_t d, std::vector<nvmlProcessInfo_t>& list) {
        // Ask for the count first (an empty list is a success), then fetch with some slack: the
        // list can grow between the calls. A few rounds at most, so the sampler never spins.
        unsigned count = 0;
        nvmlReturn_t status = processes_(d, &count, nullptr);
        for (int round = 0; round < 3 && status == NVML_ERROR_INSUFFICIENT_SIZE; ++round) {
          list.resize(count + 8);
          count = static_cast<unsigned>(list.size());
          status = processes_(d, &count, list.data());
        }
        list.resize(status == NVML_SUCCESS ? std::min<std::size_t>(count, list.size()) : 0);
        return status;
      });
}

}  // namespace infermeter::collectors
