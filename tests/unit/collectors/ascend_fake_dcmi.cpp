// A stand-in libdcmi.so for the Ascend collector tests, built from our own dcmi_api.h: two
// cards with one chip each, ids 3 and 5 (not 0 and 1, so code that confuses card ids with
// positions shows). Card 3 is a 910B3 with HBM; card 5 a 310P3 with DDR only and no power
// reading, as DCMI answers for a 310P. dcmi_get_dcmi_version is deliberately not exported: an
// optional function the collector must do without. The test steers it through the
// fake_dcmi_* functions.

#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "dcmi_api.h"

namespace dcmi = infermeter::collectors::dcmi;

namespace {
int g_power_deciwatts = 931;  // card 3
bool g_power_supported = true;
}  // namespace

extern "C" {

__attribute__((visibility("default"))) void fake_dcmi_set_power(int deciwatts) {
  g_power_deciwatts = deciwatts;
}
__attribute__((visibility("default"))) void fake_dcmi_set_power_supported(int supported) {
  g_power_supported = supported != 0;
}

__attribute__((visibility("default"))) int dcmi_init() { return dcmi::kOk; }

__attribute__((visibility("default"))) int dcmi_get_card_list(int* card_num, int* card_list,
                                                              int list_len) {
  if (list_len < 2) return -8001;
  card_list[0] = 3;
  card_list[1] = 5;
  *card_num = 2;
  return dcmi::kOk;
}

__attribute__((visibility("default"))) int dcmi_get_device_id_in_card(int card_id,
                                                                      int* device_id_max,
                                                                      int* mcu_id, int* cpu_id) {
  if (card_id != 3 && card_id != 5) return -8001;
  *device_id_max = 1;
  *mcu_id = 1;
  *cpu_id = -1;
  return dcmi::kOk;
}

__attribute__((visibility("default"))) int dcmi_get_device_chip_info(int card_id, int,
                                                                     dcmi::ChipInfo* info) {
  std::memset(info, 0, sizeof *info);
  std::strcpy(reinterpret_cast<char*>(info->chip_type), "Ascend");
  std::strcpy(reinterpret_cast<char*>(info->chip_name), card_id == 3 ? "910B3" : "310P3");
  std::strcpy(reinterpret_cast<char*>(info->chip_ver), "V1");
  info->aicore_cnt = card_id == 3 ? 20 : 8;
  return dcmi::kOk;
}

__attribute__((visibility("default"))) int dcmi_get_device_hbm_info(int card_id, int,
                                                                    dcmi::HbmInfo* hbm) {
  if (card_id != 3) return dcmi::kErrNotSupport;
  *hbm = {.memory_size = 65536,
          .freq = 1600,
          .memory_usage = 3384,
          .temp = 40,
          .bandwith_util_rate = 0};
  return dcmi::kOk;
}

__attribute__((visibility("default"))) int dcmi_get_device_memory_info_v3(
    int, int, dcmi::MemoryInfoV3* memory) {
  std::memset(memory, 0, sizeof *memory);
  memory->memory_size = 44280;
  memory->memory_available = 42751;
  return dcmi::kOk;
}

__attribute__((visibility("default"))) int dcmi_get_device_utilization_rate(int card_id, int,
                                                                            int input_type,
                                                                            unsigned int* rate) {
  if (input_type != dcmi::kUtilizationAiCore) return dcmi::kErrNotSupport;
  *rate = card_id == 3 ? 45 : 12;
  return dcmi::kOk;
}

__attribute__((visibility("default"))) int dcmi_get_device_power_info(int card_id, int,
                                                                      int* power) {
  if (!g_power_supported || card_id != 3) return dcmi::kErrNotSupport;
  *power = g_power_deciwatts;
  return dcmi::kOk;
}

__attribute__((visibility("default"))) int dcmi_get_device_temperature(int card_id, int,
                                                                       int* temperature) {
  *temperature = card_id == 3 ? 37 : 45;
  return dcmi::kOk;
}

__attribute__((visibility("default"))) int dcmi_get_device_resource_info(int card_id, int,
                                                                         dcmi::ProcessMemory* list,
                                                                         int* count) {
  *count = 0;
  if (card_id == 3) {  // the test process itself, so its name can be read from /proc
    list[0] = {.proc_id = static_cast<int>(getpid()), .proc_mem_usage = 1ul << 30};
    *count = 1;
  }
  return dcmi::kOk;
}

__attribute__((visibility("default"))) int dcmi_get_driver_version(char* version,
                                                                   unsigned int length) {
  std::snprintf(version, length, "%s", "24.1.rc2");
  return dcmi::kOk;
}

}  // extern "C"
