#include "dcmi_library.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <type_traits>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

constexpr std::int64_t kMiB = 1024 * 1024;

// An out-parameter with room to spare: a driver whose struct grew a reserved tail writes into
// the slack instead of past our buffer.
template <typename T>
struct WithSlack {
  T value{};
  unsigned char slack[512]{};
};

std::string CString(const unsigned char* text, std::size_t capacity) {
  const char* chars = reinterpret_cast<const char*>(text);
  return std::string(chars, strnlen(chars, capacity));
}

std::string Version(dcmi::GetVersionFn get) {
  if (get == nullptr) return "";
  WithSlack<char[dcmi::kVersionLength]> buffer;
  if (get(buffer.value, dcmi::kVersionLength) != dcmi::kOk) return "";
  return std::string(buffer.value, strnlen(buffer.value, dcmi::kVersionLength));
}

// DCMI gives host pids; their names come from /proc, as npu-smi's own do.
std::string ProcessName(int pid) {
  std::ifstream comm(fmt::format("/proc/{}/comm", pid));
  std::string name;
  std::getline(comm, name);
  return name;
}

std::string Describe(int code) {
  return code == dcmi::kErrNotSupport ? fmt::format("{} (not supported)", code)
                                      : std::to_string(code);
}

}  // namespace

std::optional<DcmiLibrary> DcmiLibrary::Load(const std::vector<std::string>& paths,
                                             std::string* why) {
  std::vector<std::string> problems;
  for (const std::string& path : paths) {
    std::string error;
    DynamicLibrary library = DynamicLibrary::Open(path, &error);
    if (!library.loaded()) {
      problems.push_back(error);
      continue;
    }
    DcmiLibrary dcmi;
    const auto bind = [&](auto& function, const char* symbol) {
      function = library.Function<std::remove_reference_t<decltype(function)>>(symbol);
      return function != nullptr;
    };
    std::vector<std::string> missing_required;
    if (!bind(dcmi.init, "dcmi_init")) missing_required.emplace_back("dcmi_init");
    if (!bind(dcmi.get_card_list, "dcmi_get_card_list")) {
      missing_required.emplace_back("dcmi_get_card_list");
    }
    const bool by_id = bind(dcmi.get_device_id_in_card, "dcmi_get_device_id_in_card");
    const bool by_num = bind(dcmi.get_device_num_in_card, "dcmi_get_device_num_in_card");
    if (!by_id && !by_num) {
      missing_required.emplace_back("dcmi_get_device_id_in_card (or dcmi_get_device_num_in_card)");
    }
    if (!missing_required.empty()) {
      problems.push_back(
          fmt::format("{} does not export {}", path, fmt::join(missing_required, ", ")));
      continue;
    }
    const auto optional = [&](auto& function, const char* symbol) {
      if (!bind(function, symbol)) dcmi.missing_.emplace_back(symbol);
    };
    optional(dcmi.get_chip_info, "dcmi_get_device_chip_info");
    optional(dcmi.get_hbm_info, "dcmi_get_device_hbm_info");
    optional(dcmi.get_memory_info_v3, "dcmi_get_device_memory_info_v3");
    optional(dcmi.get_utilization_rate, "dcmi_get_device_utilization_rate");
    optional(dcmi.get_power_info, "dcmi_get_device_power_info");
    optional(dcmi.get_temperature, "dcmi_get_device_temperature");
    optional(dcmi.get_resource_info, "dcmi_get_device_resource_info");
    optional(dcmi.get_driver_version, "dcmi_get_driver_version");
    optional(dcmi.get_dcmi_version, "dcmi_get_dcmi_version");
    dcmi.library_ = std::move(library);
    dcmi.path_ = path;
    return dcmi;
  }
  if (why != nullptr) {
    *why = paths.empty()
               ? "unavailable: no libdcmi.so path to try"
               : fmt::format("unavailable: no usable libdcmi.so ({})", fmt::join(problems, "; "));
  }
  return std::nullopt;
}

DcmiSession DcmiSession::Open(const std::vector<std::string>& paths) {
  std::string why;
  std::optional<DcmiLibrary> library = DcmiLibrary::Load(paths, &why);
  if (!library) throw Error(why);
  DcmiSession session(std::move(*library));
  const DcmiLibrary& lib = session.library_;
  if (const int rc = lib.init(); rc != dcmi::kOk) {
    throw Error(fmt::format("unavailable: dcmi_init in {} returned {}", lib.path(), Describe(rc)));
  }
  WithSlack<int[dcmi::kMaxCards]> cards;
  int card_count = 0;
  if (const int rc = lib.get_card_list(&card_count, cards.value, dcmi::kMaxCards);
      rc != dcmi::kOk) {
    throw Error(fmt::format("unavailable: dcmi_get_card_list returned {}", Describe(rc)));
  }
  for (int i = 0; i < std::clamp(card_count, 0, dcmi::kMaxCards); ++i) {
    const int card = cards.value[i];
    int devices = 0;
    int rc = dcmi::kOk;
    if (lib.get_device_id_in_card != nullptr) {
      int mcu_id = -1, cpu_id = -1;  // the card's MCU and CPU are not NPU chips
      rc = lib.get_device_id_in_card(card, &devices, &mcu_id, &cpu_id);
    } else {
      rc = lib.get_device_num_in_card(card, &devices);
    }
    if (rc != dcmi::kOk) {
      session.unsupported_.push_back(
          fmt::format("card {}: its chips could not be listed (error {})", card, Describe(rc)));
      continue;
    }
    for (int device = 0; device < devices; ++device) {
      Chip chip{.card_id = card, .device_id = device};
      WithSlack<dcmi::ChipInfo> info;
      if (lib.get_chip_info != nullptr &&
          lib.get_chip_info(card, device, &info.value) == dcmi::kOk) {
        chip.name = CString(info.value.chip_name, dcmi::kMaxChipNameLength);
        if (chip.name.empty()) chip.name = CString(info.value.chip_type, dcmi::kMaxChipNameLength);
      }
      session.chips_.push_back(std::move(chip));
    }
  }
  if (session.chips_.empty()) {
    throw Error(fmt::format("unavailable: DCMI ({}) lists no NPU chip", lib.path()));
  }
  session.driver_version_ = Version(lib.get_driver_version);
  session.dcmi_version_ = Version(lib.get_dcmi_version);
  session.Probe();
  return session;
}

// Decides once which readings to take: a reading counts as supported when its function is
// exported and works for at least one chip, so Read never spends time on calls known to fail.
void DcmiSession::Probe() {
  const DcmiLibrary& lib = library_;
  const auto probe = [&](const char* metric, const char* symbol, bool exported, auto call) {
    if (!exported) {
      unsupported_.push_back(fmt::format("{}: {} does not export {}", metric, lib.path(), symbol));
      return false;
    }
    int rc = dcmi::kOk;
    for (const Chip& chip : chips_) {
      rc = call(chip);
      if (rc == dcmi::kOk) return true;
    }
    unsupported_.push_back(fmt::format("{}: {} returned {}", metric, symbol, Describe(rc)));
    return false;
  };
  power_ = probe("npu_power_watts", "dcmi_get_device_power_info", lib.get_power_info != nullptr,
                 [&](const Chip& c) {
                   int power = 0;
                   return lib.get_power_info(c.card_id, c.device_id, &power);
                 });
  temperature_ = probe("npu_temperature_c", "dcmi_get_device_temperature",
                       lib.get_temperature != nullptr, [&](const Chip& c) {
                         int celsius = 0;
                         return lib.get_temperature(c.card_id, c.device_id, &celsius);
                       });
  aicore_ = probe("npu_aicore_utilization_percent", "dcmi_get_device_utilization_rate",
                  lib.get_utilization_rate != nullptr, [&](const Chip& c) {
                    unsigned int percent = 0;
                    return lib.get_utilization_rate(c.card_id, c.device_id,
                                                    dcmi::kUtilizationAiCore, &percent);
                  });
  // Memory: HBM where the chip has it (910, 910B, A3), else its DDR (310P) through
  // memory_info_v3, which npu-smi itself does not call on HBM chips.
  for (Chip& chip : chips_) {
    WithSlack<dcmi::HbmInfo> hbm;
    chip.hbm = lib.get_hbm_info != nullptr &&
               lib.get_hbm_info(chip.card_id, chip.device_id, &hbm.value) == dcmi::kOk &&
               hbm.value.memory_size > 0;
  }
  memory_ = std::any_of(chips_.begin(), chips_.end(), [](const Chip& c) { return c.hbm; }) ||
            probe("npu_memory_used_bytes", "dcmi_get_device_memory_info_v3",
                  lib.get_memory_info_v3 != nullptr, [&](const Chip& c) {
                    WithSlack<dcmi::MemoryInfoV3> memory;
                    return lib.get_memory_info_v3(c.card_id, c.device_id, &memory.value);
                  });
  processes_ = probe("npu_process_memory_bytes", "dcmi_get_device_resource_info",
                     lib.get_resource_info != nullptr, [&](const Chip& c) {
                       WithSlack<dcmi::ProcessMemory[dcmi::kMaxProcessesPerChip]> list;
                       int count = 0;
                       return lib.get_resource_info(c.card_id, c.device_id, list.value, &count);
                     });
}

NpuReading DcmiSession::Read(std::int64_t time_ns) const {
  const DcmiLibrary& lib = library_;
  NpuReading reading{.time_ns = time_ns};
  for (const Chip& chip : chips_) {
    const int card = chip.card_id, device = chip.device_id;
    NpuChipReading r{.npu_id = card, .chip_id = device, .name = chip.name};
    if (int power = 0; power_ && lib.get_power_info(card, device, &power) == dcmi::kOk) {
      r.power_w = power / 10.0;  // documented unit: 0.1 W
    }
    if (int celsius = 0; temperature_ && lib.get_temperature(card, device, &celsius) == dcmi::kOk) {
      r.temperature_c = celsius;
    }
    unsigned int percent = 0;
    if (aicore_ &&
        lib.get_utilization_rate(card, device, dcmi::kUtilizationAiCore, &percent) == dcmi::kOk &&
        percent <= 100) {  // above 100 is a marker (0xEF while profiling), not a reading
      r.aicore_percent = percent;
    }
    if (memory_ && chip.hbm) {
      WithSlack<dcmi::HbmInfo> hbm;
      if (lib.get_hbm_info(card, device, &hbm.value) == dcmi::kOk) {
        r.memory_total_bytes = static_cast<std::int64_t>(hbm.value.memory_size) * kMiB;
        r.memory_used_bytes = static_cast<std::int64_t>(hbm.value.memory_usage) * kMiB;
        r.memory_is_hbm = true;
      }
    } else if (memory_ && lib.get_memory_info_v3 != nullptr) {
      WithSlack<dcmi::MemoryInfoV3> memory;
      if (lib.get_memory_info_v3(card, device, &memory.value) == dcmi::kOk) {
        const auto total = static_cast<std::int64_t>(memory.value.memory_size);
        const auto available =
            std::min(total, static_cast<std::int64_t>(memory.value.memory_available));
        r.memory_total_bytes = total * kMiB;
        r.memory_used_bytes = (total - available) * kMiB;
      }
    }
    if (processes_) {
      WithSlack<dcmi::ProcessMemory[dcmi::kMaxProcessesPerChip]> list;
      int count = 0;
      if (lib.get_resource_info(card, device, list.value, &count) == dcmi::kOk) {
        for (int i = 0; i < std::clamp(count, 0, dcmi::kMaxProcessesPerChip); ++i) {
          const dcmi::ProcessMemory& p = list.value[i];
          reading.processes.push_back(
              {.npu_id = card,
               .chip_id = device,
               .pid = p.proc_id,
               .name = ProcessName(p.proc_id),
               .memory_bytes = static_cast<std::int64_t>(p.proc_mem_usage)});
        }
      }
    }
    reading.chips.push_back(std::move(r));
  }
  return reading;
}

}  // namespace infermeter::collectors
