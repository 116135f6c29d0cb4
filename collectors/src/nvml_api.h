#pragma once
// Our own minimal declarations of the NVML C ABI (libnvidia-ml.so.1): the few types, codes and
// function signatures the NVML collector uses, written from the documented ABI in
// ../shared/research/collectors.md §3.2 (NVML API 13). There is no nvml.h on the build machines
// and none is needed: the library is opened at run time (nvml_library.h), never linked.
//
// Everything here must match the C ABI exactly. Enums in NVML are plain C enums, passed and
// returned as int; the structs are checked by size below.

#include <cstdint>

namespace infermeter::collectors::nvml {

// An opaque device handle; only NVML looks inside.
struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;

// nvmlReturn_t: the status every NVML call returns.
using nvmlReturn_t = int;
inline constexpr nvmlReturn_t NVML_SUCCESS = 0;
inline constexpr nvmlReturn_t NVML_ERROR_UNINITIALIZED = 1;
inline constexpr nvmlReturn_t NVML_ERROR_INVALID_ARGUMENT = 2;
inline constexpr nvmlReturn_t NVML_ERROR_NOT_SUPPORTED = 3;
inline constexpr nvmlReturn_t NVML_ERROR_NO_PERMISSION = 4;
inline constexpr nvmlReturn_t NVML_ERROR_INSUFFICIENT_SIZE = 7;
inline constexpr nvmlReturn_t NVML_ERROR_DRIVER_NOT_LOADED = 9;
inline constexpr nvmlReturn_t NVML_ERROR_LIBRARY_NOT_FOUND = 12;
inline constexpr nvmlReturn_t NVML_ERROR_FUNCTION_NOT_FOUND = 13;
inline constexpr nvmlReturn_t NVML_ERROR_GPU_IS_LOST = 15;

// nvmlClockType_t
inline constexpr int NVML_CLOCK_GRAPHICS = 0;
inline constexpr int NVML_CLOCK_SM = 1;
inline constexpr int NVML_CLOCK_MEM = 2;

// nvmlTemperatureSensors_t
inline constexpr int NVML_TEMPERATURE_GPU = 0;

// Buffer sizes NVML documents for its string getters (name and UUID: the _V2 sizes).
inline constexpr unsigned kDeviceNameBufferSize = 96;
inline constexpr unsigned kDeviceUuidBufferSize = 96;
inline constexpr unsigned kSystemVersionBufferSize = 80;

// nvmlMemory_v2_t, for nvmlDeviceGetMemoryInfo_v2. Unlike v1, `used` excludes `reserved`
// (memory the driver holds back). `version` must be set to nvmlMemory_v2 before the call.
struct nvmlMemory_v2_t {
  unsigned int version;
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
};
static_assert(sizeof(nvmlMemory_v2_t) == 40, "nvmlMemory_v2_t must match NVML's layout");
// NVML's struct versions are sizeof(struct) | (version << 24).
inline constexpr unsigned int nvmlMemory_v2 = sizeof(nvmlMemory_v2_t) | (2u << 24);
static_assert(nvmlMemory_v2 == 0x02000028u);

// nvmlUtilization_t: percent of the last sample period (1 s to 1/6 s) during which a kernel
// ran (gpu) or device memory was read or written (memory). Not SM occupancy.
struct nvmlUtilization_t {
  unsigned int gpu;
  unsigned int memory;
};
static_assert(sizeof(nvmlUtilization_t) == 8);

// nvmlProcessInfo_t, as filled by nvmlDeviceGetComputeRunningProcesses_v3. PIDs are host PIDs.
struct nvmlProcessInfo_t {
  unsigned int pid;
  unsigned long long usedGpuMemory;  // bytes, or NVML_VALUE_NOT_AVAILABLE
  unsigned int gpuInstanceId;        // MIG instance ids; not used here
  unsigned int computeInstanceId;
};
static_assert(sizeof(nvmlProcessInfo_t) == 24, "nvmlProcessInfo_t must match NVML's layout");
inline constexpr unsigned long long NVML_VALUE_NOT_AVAILABLE = ~0ull;

// The functions, by the (versioned) symbol names dlsym finds them under. They are C functions;
// GCC and Clang give C and C++ function types the same calling convention.
using nvmlInit_v2_fn = nvmlReturn_t (*)();
using nvmlShutdown_fn = nvmlReturn_t (*)();
using nvmlErrorString_fn = const char* (*)(nvmlReturn_t);
using nvmlSystemGetDriverVersion_fn = nvmlReturn_t (*)(char* version, unsigned int length);
using nvmlSystemGetNVMLVersion_fn = nvmlReturn_t (*)(char* version, unsigned int length);
using nvmlDeviceGetCount_v2_fn = nvmlReturn_t (*)(unsigned int* count);
using nvmlDeviceGetHandleByIndex_v2_fn = nvmlReturn_t (*)(unsigned int index, nvmlDevice_t* device);
using nvmlDeviceGetName_fn = nvmlReturn_t (*)(nvmlDevice_t, char* name, unsigned int length);
using nvmlDeviceGetUUID_fn = nvmlReturn_t (*)(nvmlDevice_t, char* uuid, unsigned int length);
using nvmlDeviceGetMemoryInfo_v2_fn = nvmlReturn_t (*)(nvmlDevice_t, nvmlMemory_v2_t* memory);
using nvmlDeviceGetUtilizationRates_fn = nvmlReturn_t (*)(nvmlDevice_t, nvmlUtilization_t*);
using nvmlDeviceGetPowerUsage_fn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int* milliwatts);
using nvmlDeviceGetTotalEnergyConsumption_fn = nvmlReturn_t (*)(nvmlDevice_t,
                                                                unsigned long long* millijoules);
using nvmlDeviceGetClockInfo_fn = nvmlReturn_t (*)(nvmlDevice_t, int clock_type, unsigned int* mhz);
// Deprecated in NVML 13 in favour of nvmlDeviceGetTemperatureV, but still exported.
using nvmlDeviceGetTemperature_fn = nvmlReturn_t (*)(nvmlDevice_t, int sensor,
                                                     unsigned int* celsius);
using nvmlDeviceGetComputeRunningProcesses_v3_fn = nvmlReturn_t (*)(nvmlDevice_t,
                                                                    unsigned int* count,
                                                                    nvmlProcessInfo_t* infos);
using nvmlDeviceGetCudaComputeCapability_fn = nvmlReturn_t (*)(nvmlDevice_t, int* major,
                                                               int* minor);

}  // namespace infermeter::collectors::nvml
