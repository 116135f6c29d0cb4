#include "infermeter/models/hardware.h"

#include <algorithm>

namespace infermeter::models {
namespace {

constexpr double kT = 1e12;  // TFLOP/s, TB/s
constexpr double kGB = 1e9;

}  // namespace

std::string_view ToString(HardwareOrigin origin) {
  return origin == HardwareOrigin::kMeasured ? "measured" : "published";
}

std::string_view ToString(Confidence confidence) {
  switch (confidence) {
    case Confidence::kHigh:
      return "high";
    case Confidence::kMedium:
      return "medium";
    case Confidence::kLow:
      return "low";
  }
  return "?";
}

// Figures and sources: research notes deepseek-cost-model.md §5 (docs/COST_MODEL.md repeats
// them). NVIDIA datasheets headline sparse Tensor figures; dense = sparse / 2.
std::vector<HardwareSpec> BuiltinHardware() {
  return {
      {.name = "h100-sxm",
       .description = "NVIDIA H100 SXM (700 W)",
       .bf16_flops_per_s = 989.4 * kT,
       .fp8_flops_per_s = 1978.9 * kT,
       .memory_bytes = 80 * kGB,
       .memory_bandwidth_bytes_per_s = 3.35 * kT,
       .confidence = Confidence::kHigh,
       .source = "NVIDIA H100 datasheet table as mirrored by hpctech and glennklockwood.com "
                 "(sparse 1,979 / 3,958 TFLOP/s halved)",
       .confidence_note = "secondary copies of the datasheet agree"},
      {.name = "h200",
       .description = "NVIDIA H200 SXM (700 W)",
       .bf16_flops_per_s = 989.4 * kT,
       .fp8_flops_per_s = 1978.9 * kT,
       .memory_bytes = 141 * kGB,
       .memory_bandwidth_bytes_per_s = 4.8 * kT,
       .confidence = Confidence::kHigh,
       .source = "MLPerf inference v4.1 system JSON (141 GB HBM3e); spec pages; same die as H100",
       .confidence_note = "memory from an MLPerf submission; compute same as H100"},
      {.name = "b200",
       .description = "NVIDIA B200 (HGX, 1000 W)",
       .bf16_flops_per_s = 2250 * kT,
       .fp8_flops_per_s = 4500 * kT,
       .fp4_flops_per_s = 9000 * kT,
       .memory_bytes = 180 * kGB,
       .memory_bandwidth_bytes_per_s = 7.7 * kT,
       .confidence = Confidence::kMedium,
       .source = "NVIDIA HGX B200 table mirrored at zdszero.github.io (18/9/4.5 PF sparse); "
                 "glennklockwood.com B200",
       .confidence_note = "8 TB/s is also quoted; 192 GB physical, 180 GB usable"},
      {.name = "gb200",
       .description = "NVIDIA GB200, per Blackwell GPU (1200 W)",
       .bf16_flops_per_s = 2500 * kT,
       .fp8_flops_per_s = 5000 * kT,
       .fp4_flops_per_s = 10000 * kT,
       .memory_bytes = 186 * kGB,
       .memory_bandwidth_bytes_per_s = 8 * kT,
       .confidence = Confidence::kMedium,
       .source = "NVIDIA GB200 NVL72 table mirrored at zdszero.github.io (20/10/5 PF sparse); "
                 "MLPerf v6.1 Crusoe system JSON (186 GB)",
       .confidence_note = "secondary copy of NVIDIA's table"},
      {.name = "gb300",
       .description = "NVIDIA GB300 / B300 (Blackwell Ultra, 1400 W), per GPU",
       .bf16_flops_per_s = 2500 * kT,
       .fp8_flops_per_s = 5000 * kT,
       .fp4_flops_per_s = 15000 * kT,
       .memory_bytes = 288 * kGB,
       .memory_bandwidth_bytes_per_s = 8 * kT,
       .confidence = Confidence::kMedium,
       .source = "Verda 'GB300 NVL72 architecture' (dense FP4 15, FP8 5, BF16 2.5 PF); "
                 "glennklockwood.com B300 (NVL72 rack / 72)",
       .confidence_note = "288 GB nominal, 279 GB usable per Verda; B300 HGX FP4 is 13-14 PF"},
      {.name = "ascend-910b",
       .description = "Huawei Ascend 910B",
       .bf16_flops_per_s = 320 * kT,
       .memory_bytes = 64 * kGB,
       .memory_bandwidth_bytes_per_s = 1.6 * kT,
       .confidence = Confidence::kLow,
       .source = "analyst and press figures (boardor.com: 320 TFLOPS FP16, 64 GB)",
       .confidence_note = "not from a Huawei datasheet; FP16 figures quoted range 320-376 "
                          "TFLOP/s; no FP8"},
      {.name = "ascend-910c",
       .description = "Huawei Ascend 910C (two 910B-class dies)",
       .bf16_flops_per_s = 752 * kT,
       .memory_bytes = 128 * kGB,
       .memory_bandwidth_bytes_per_s = 3.2 * kT,
       .confidence = Confidence::kLow,
       .source = "CloudMatrix384 paper (arXiv 2506.12708) 'up to 752 TFLOPS'; aiwiki / "
                 "SemiAnalysis (128 GB, 3.2-3.5 TB/s)",
       .confidence_note = "paper and analyst estimates; analysts quote 780-800 TFLOP/s; no FP8"},
      {.name = "ascend-950pr",
       .description = "Huawei Ascend 950PR (announced for Q1 2026)",
       .fp8_flops_per_s = 1000 * kT,
       .fp4_flops_per_s = 2000 * kT,
       .memory_bytes = 128 * kGB,
       .memory_bandwidth_bytes_per_s = 1.6 * kT,
       .confidence = Confidence::kLow,
       .source = "Huawei Connect 2025 announcements as reported by cloudnews.tech and others",
       .confidence_note = "announced, not shipped; BF16 peak not published (about 500 TFLOP/s "
                          "if FP8 is twice BF16, an inference not used here)"},
      {.name = "mi300x",
       .description = "AMD Instinct MI300X",
       .bf16_flops_per_s = 1307 * kT,
       .fp8_flops_per_s = 2615 * kT,
       .memory_bytes = 192 * kGB,
       .memory_bandwidth_bytes_per_s = 5.3 * kT,
       .confidence = Confidence::kMedium,
       .source = "GenZ-LLM-Analyzer Systems/system_configs.py (1307 TF, 192 GB, 5300 GB/s); "
                 "aiwiki",
       .confidence_note = "FP8 = 2 x BF16 per AMD, not re-verified against a datasheet"},
  };
}

void HardwareCatalog::Add(HardwareSpec spec) {
  auto it = std::find_if(specs_.begin(), specs_.end(),
                         [&](const HardwareSpec& s) { return s.name == spec.name; });
  if (it != specs_.end()) {
    *it = std::move(spec);
  } else {
    specs_.push_back(std::move(spec));
  }
}

const HardwareSpec* HardwareCatalog::Find(std::string_view name) const {
  for (const auto& spec : specs_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace infermeter::models
