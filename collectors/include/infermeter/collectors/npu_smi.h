#pragma once
// `npu-smi info`, Huawei's nvidia-smi: running it and reading its table into plain structs. The
// table differs between models and driver versions (Atlas 800 9000 shows DDR and HBM columns,
// Atlas 800T A2 only HBM, 310P no HBM and power "NA", A3 two chips per NPU with a Phy-ID), so
// the parser takes the columns from the table's own header lines and places each value under
// the header it is written below, instead of assuming fixed offsets. tests/data/npu-smi/ holds
// one sample of each layout and says where the layout comes from.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infermeter::collectors {

// A "used / total" pair as npu-smi prints it ("3384 / 65536", "31877/ 65536").
struct NpuSmiUsage {
  std::int64_t used = 0;
  std::int64_t total = 0;
  friend bool operator==(const NpuSmiUsage&, const NpuSmiUsage&) = default;
};

// One chip: the two table rows npu-smi prints for it. A value npu-smi shows as "NA" or "-", or
// whose column this model's table does not have, is left empty.
struct NpuSmiChip {
  int npu_id = 0;                        // "NPU": the card (DCMI card id)
  int chip_id = 0;                       // "Chip": the chip on that card
  std::optional<int> phy_id;             // "Phy-ID" (A3) or "Device" (310, 310P), when shown
  std::string name;                      // "910B3", "Ascend910", "310P3", "910A"
  std::string health;                    // "OK", "Warning", "Alarm", "Critical"
  std::optional<double> power_w;         // "Power(W)"
  std::optional<double> temperature_c;   // "Temp(C)"
  std::optional<NpuSmiUsage> hugepages;  // "Hugepages-Usage(page)", in pages
  std::optional<double> aicore_percent;  // "AICore(%)"
  std::optional<NpuSmiUsage> memory_mb;  // "Memory-Usage(MB)": the chip's DDR
  std::optional<NpuSmiUsage> hbm_mb;     // "HBM-Usage(MB)"
  std::string bus_id;                    // "Bus-Id": "0000:C1:00.0"
  int line = 0;                          // 1-based line of the chip's first row
};

// One row of the process table.
struct NpuSmiProcess {
  int npu_id = 0;
  int chip_id = 0;
  std::int64_t pid = 0;
  std::string name;  // may be empty: npu-smi leaves it blank for processes it cannot name
  std::int64_t memory_mb = 0;
  std::optional<std::int64_t> pid_in_container;  // "Process id in container" (newer drivers)
};

struct NpuSmiInfo {
  std::string tool_version;    // "npu-smi 23.0.rc2" -> "23.0.rc2"
  std::string driver_version;  // "Version: 23.0.rc2", the driver npu-smi talks to
  std::vector<NpuSmiChip> chips;
  bool has_process_table = false;
  std::vector<NpuSmiProcess> processes;
  std::vector<int> idle_npus;  // "No running processes found in NPU x"
};

// Reads the text of `npu-smi info`. Throws InputError naming `source`, the line, the column and
// what was expected when the text is not such a table: a header naming a column this parser does
// not know, a row cut short, a value that is not a number where one is expected, a chip without
// its second row, no NPU table at all. Lines outside the table (anything not starting with '|'
// or '+') are ignored.
NpuSmiInfo ParseNpuSmiInfo(std::string_view text, const std::string& source);

}  // namespace infermeter::collectors
