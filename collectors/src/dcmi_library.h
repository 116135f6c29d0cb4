#pragma once
// libdcmi.so, opened at run time through DynamicLibrary so that no binary links an Ascend
// library: DcmiLibrary binds the functions of dcmi_api.h, DcmiSession initialises DCMI, lists
// the chips and reads them. A missing library, or one that lacks a required function, is a
// normal condition reported as "unavailable: <reason>"; a missing optional function only
// disables the reading it gives.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dcmi_api.h"
#include "infermeter/collectors/ascend_collector.h"
#include "infermeter/core/dynamic_library.h"

namespace infermeter::collectors {

class DcmiLibrary {
 public:
  // The first of `paths` that loads and exports dcmi_init, dcmi_get_card_list and one of
  // dcmi_get_device_id_in_card / dcmi_get_device_num_in_card. nullopt, with `*why` set to
  // "unavailable: ..." naming every path tried and what was wrong with it, when none does.
  static std::optional<DcmiLibrary> Load(const std::vector<std::string>& paths, std::string* why);

  const std::string& path() const { return path_; }
  // Optional functions this library does not export, by symbol name.
  const std::vector<std::string>& missing() const { return missing_; }

  // Required (never null after Load; one of the two device-count functions may be).
  dcmi::InitFn init = nullptr;
  dcmi::GetCardListFn get_card_list = nullptr;
  dcmi::GetDeviceIdInCardFn get_device_id_in_card = nullptr;
  dcmi::GetDeviceNumInCardFn get_device_num_in_card = nullptr;
  // Optional (null when not exported).
  dcmi::GetChipInfoFn get_chip_info = nullptr;
  dcmi::GetHbmInfoFn get_hbm_info = nullptr;
  dcmi::GetMemoryInfoV3Fn get_memory_info_v3 = nullptr;
  dcmi::GetUtilizationRateFn get_utilization_rate = nullptr;
  dcmi::GetPowerInfoFn get_power_info = nullptr;
  dcmi::GetTemperatureFn get_temperature = nullptr;
  dcmi::GetResourceInfoFn get_resource_info = nullptr;
  dcmi::GetVersionFn get_driver_version = nullptr;
  dcmi::GetVersionFn get_dcmi_version = nullptr;

 private:
  DynamicLibrary library_;
  std::string path_;
  std::vector<std::string> missing_;
};

class DcmiSession {
 public:
  struct Chip {
    int card_id = 0;    // npu-smi's "NPU"
    int device_id = 0;  // npu-smi's "Chip"
    std::string name;   // dcmi_chip_info.chip_name, "910B3"
    bool hbm = false;   // memory comes from dcmi_get_device_hbm_info (else memory_info_v3)
  };

  // Loads the library, calls dcmi_init, lists every chip of every card and probes each reading
  // once. Throws Error("unavailable: ...") when no library loads, dcmi_init fails, or there is
  // no chip.
  static DcmiSession Open(const std::vector<std::string>& paths);

  // Every reading that worked when probed, for every chip. Never throws: a call that fails now
  // leaves its value empty.
  NpuReading Read(std::int64_t time_ns) const;

  const std::vector<Chip>& chips() const { return chips_; }
  const std::string& path() const { return library_.path(); }
  const std::string& driver_version() const { return driver_version_; }
  const std::string& dcmi_version() const { return dcmi_version_; }
  // Readings this library or these chips do not give, each with the reason
  // ("npu_power_watts: dcmi_get_device_power_info returned -8255 (not supported)").
  const std::vector<std::string>& unsupported() const { return unsupported_; }

 private:
  explicit DcmiSession(DcmiLibrary library) : library_(std::move(library)) {}
  void Probe();

  DcmiLibrary library_;
  std::vector<Chip> chips_;
  std::string driver_version_, dcmi_version_;
  std::vector<std::string> unsupported_;
  bool power_ = false, temperature_ = false, aicore_ = false, memory_ = false, processes_ = false;
};

}  // namespace infermeter::collectors
