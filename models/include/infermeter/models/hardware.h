#pragma once
// Peak figures of accelerators, for rooflines: dense (no 2:4 sparsity) FLOP/s per precision,
// memory capacity and bandwidth, each entry with its source and how far to trust it. Values
// are per device (one GPU, one NPU package). Figures from datasheets and reports live in
// BuiltinHardware(); a measured entry (the host CPU from `infermeter probe`) is added with
// HardwareCatalog::Add and marked HardwareOrigin::kMeasured.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infermeter::models {

enum class HardwareOrigin { kPublished, kMeasured };
enum class Confidence { kHigh, kMedium, kLow };
std::string_view ToString(HardwareOrigin origin);
std::string_view ToString(Confidence confidence);

struct HardwareSpec {
  std::string name;  // "h100-sxm"
  std::string description;
  std::optional<double> bf16_flops_per_s;  // dense; nullopt when not published
  std::optional<double> fp8_flops_per_s;   // dense; nullopt when the device has no FP8
  std::optional<double> fp4_flops_per_s;   // dense
  double memory_bytes = 0;
  double memory_bandwidth_bytes_per_s = 0;
  HardwareOrigin origin = HardwareOrigin::kPublished;
  Confidence confidence = Confidence::kMedium;
  std::string source;           // where the figures come from
  std::string confidence_note;  // why this confidence
};

// The published devices: H100 SXM, H200, B200, GB200, GB300, Ascend 910B, 910C, 950PR, MI300X.
std::vector<HardwareSpec> BuiltinHardware();

// A list of devices that starts with the built-ins and can take measured entries.
// Not thread-safe; a value type.
class HardwareCatalog {
 public:
  HardwareCatalog() : specs_(BuiltinHardware()) {}
  // Replaces an entry of the same name, or appends.
  void Add(HardwareSpec spec);
  const HardwareSpec* Find(std::string_view name) const;
  const std::vector<HardwareSpec>& specs() const { return specs_; }

 private:
  std::vector<HardwareSpec> specs_;
};

}  // namespace infermeter::models
