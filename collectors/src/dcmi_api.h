#pragma once
// Our own declarations of the few DCMI (Huawei "DaVinci Card Management Interface", libdcmi.so)
// functions the Ascend collector calls. We do not ship or include Huawei's
// dcmi_interface_api.h: the library is opened at run time (core/dynamic_library.h) and these
// types say how to call what it exports.
//
// Written from the DCMI API reference on hiascend.com ("Atlas 200I A2 ... DCMI API", topics
// api_020 dcmi_get_device_power_info, api_047 dcmi_get_device_hbm_info, api_097
// dcmi_get_device_resource_info, and the HDK A2 DCMI pages), and checked against the layout of
// the same structs in the dcmi_interface_api.h that Ascend/mind-cluster publishes
// (component/ascend-common/devmanager/dcmi). Units as documented:
//   - power: int, 0.1 W ("设备功耗:单位为0.1W", api_020); the research note agrees.
//   - temperature: int, degrees Celsius.
//   - HBM: memory_size and memory_usage in MB.
//   - memory_info_v3: memory_size MB; memory_available is documented only as "free +
//     hugepages_free * hugepagesize" and taken to be MB like memory_size (UNVERIFIED on a device).
//   - utilization: unsigned int percent, 0-100.
//   - process memory (dcmi_proc_mem_info.proc_mem_usage): bytes.
// Every struct the library writes into is given slack at the call site (see dcmi_library.cpp),
// because releases have grown reserved tails and a short buffer would be overwritten silently.

#include <cstdint>

namespace infermeter::collectors::dcmi {

constexpr int kOk = 0;
// DCMI_ERR_CODE_NOT_SUPPORT = DCMI_ERROR_CODE_BASE (-8000) - 255.
constexpr int kErrNotSupport = -8255;

constexpr int kMaxCards = 64;             // MAX_CARD_NUM
constexpr int kMaxChipNameLength = 32;    // MAX_CHIP_NAME_LEN
constexpr int kMaxProcessesPerChip = 32;  // "进程个数,最多32个" (api_097)
constexpr int kVersionLength = 256;

// Input types of dcmi_get_device_utilization_rate.
enum UtilizationType : int {
  kUtilizationMemory = 1,  // DDR
  kUtilizationAiCore = 2,
  kUtilizationAiCpu = 3,
  kUtilizationMemoryBandwidth = 5,  // DDR bandwidth
  kUtilizationHbm = 6,
  kUtilizationHbmBandwidth = 10,
  kUtilizationNpu = 13,  // the NPU as a whole (newer drivers)
};

struct ChipInfo {                               // struct dcmi_chip_info
  unsigned char chip_type[kMaxChipNameLength];  // "Ascend"
  unsigned char chip_name[kMaxChipNameLength];  // "910B3", "310P3"
  unsigned char chip_ver[kMaxChipNameLength];   // "V1"
  unsigned int aicore_cnt;
};

struct HbmInfo {                    // struct dcmi_hbm_info
  unsigned long long memory_size;   // MB
  unsigned int freq;                // MHz
  unsigned long long memory_usage;  // MB
  int temp;                         // Celsius
  unsigned int bandwith_util_rate;  // percent (sic: the vendor's spelling)
};

struct MemoryInfoV3 {                   // struct dcmi_get_memory_info_stru
  unsigned long long memory_size;       // MB
  unsigned long long memory_available;  // free + hugepages_free * hugepagesize (MB, see above)
  unsigned int freq;
  unsigned long hugepagesize;  // KB
  unsigned long hugepages_total;
  unsigned long hugepages_free;
  unsigned int utiliza;  // percent of DDR in use
  unsigned char reserve[60];
};

struct ProcessMemory {           // struct dcmi_proc_mem_info
  int proc_id;                   // host pid
  unsigned long proc_mem_usage;  // bytes
};

// Required: without these nothing can be enumerated.
using InitFn = int (*)();
using GetCardListFn = int (*)(int* card_num, int* card_list, int list_len);
// One of these two; the first is what the reference points device ids to.
using GetDeviceIdInCardFn = int (*)(int card_id, int* device_id_max, int* mcu_id, int* cpu_id);
using GetDeviceNumInCardFn = int (*)(int card_id, int* device_num);

// Optional: a library without one simply lacks that reading.
using GetChipInfoFn = int (*)(int card_id, int device_id, ChipInfo* chip_info);
using GetHbmInfoFn = int (*)(int card_id, int device_id, HbmInfo* hbm_info);
using GetMemoryInfoV3Fn = int (*)(int card_id, int device_id, MemoryInfoV3* memory_info);
using GetUtilizationRateFn = int (*)(int card_id, int device_id, int input_type,
                                     unsigned int* utilization_rate);
using GetPowerInfoFn = int (*)(int card_id, int device_id, int* power);
using GetTemperatureFn = int (*)(int card_id, int device_id, int* temperature);
using GetResourceInfoFn = int (*)(int card_id, int device_id, ProcessMemory* proc_info,
                                  int* proc_num);
using GetVersionFn = int (*)(char* version, unsigned int length);  // driver and DCMI versions

}  // namespace infermeter::collectors::dcmi
