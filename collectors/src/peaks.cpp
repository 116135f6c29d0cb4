#include "infermeter/collectors/peaks.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/collectors/host_description.h"
#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

bool IsQuick(const results::HardwarePeak& peak) {
  const auto details = nlohmann::json::parse(peak.details_json, nullptr, false);
  return details.is_object() && details.value("quick", false);
}

// The newest full probe. Quick probes (`probe --quick`: tiny matrices, one repetition) are for
// smoke tests; their figures are far below the machine's peak and would inflate MFU, so they
// never count here.
const results::HardwarePeak* Best(const std::vector<results::HardwarePeak>& peaks,
                                  std::string_view host, std::string_view metric,
                                  std::string_view dtype, bool* saw_quick) {
  const results::HardwarePeak* best = nullptr;
  for (const auto& peak : peaks) {
    if (peak.host != host || peak.metric != metric || peak.dtype != dtype) continue;
    if (IsQuick(peak)) {
      *saw_quick = true;
      continue;
    }
    if (best == nullptr || peak.measured_unix_ns > best->measured_unix_ns) best = &peak;
  }
  return best;
}

}  // namespace

PeakFigures MeasuredHostPeaks(const std::vector<results::HardwarePeak>& peaks,
                              std::string_view host, std::string_view precision) {
  PeakFigures figures{.precision = std::string(precision)};
  bool saw_quick = false;
  const auto* gemm = Best(peaks, host, "gemm_flops_per_s", precision, &saw_quick);
  const auto* bandwidth = Best(peaks, host, "memory_bandwidth_bytes_per_s", "", &saw_quick);
  if (gemm == nullptr && bandwidth == nullptr) {
    figures.source = fmt::format(
        "none: no {}peaks measured on host '{}' in this database; run `infermeter probe` first",
        saw_quick ? "full probe's (quick probes do not count) " : "", host);
    return figures;
  }
  std::string text = fmt::format("measured on host '{}' by infermeter probe:", host);
  if (gemm != nullptr) {
    figures.flops_per_s = gemm->value;
    text += fmt::format(" {} GEMM {:.4g} FLOP/s ({})", precision, gemm->value, gemm->method);
  } else {
    text += fmt::format(" no {} GEMM peak", precision);
  }
  if (bandwidth != nullptr) {
    figures.memory_bandwidth_bytes_per_s = bandwidth->value;
    text += fmt::format("; memory {:.4g} B/s ({})", bandwidth->value, bandwidth->method);
  } else {
    text += "; no memory bandwidth";
  }
  figures.source = std::move(text);
  return figures;
}

std::optional<models::HardwareSpec> MeasuredHostSpec(
    const std::vector<results::HardwarePeak>& peaks) {
  const HostDescription host = DescribeHost();
  const PeakFigures figures = MeasuredHostPeaks(peaks, host.hostname, "bf16");
  if (!figures.flops_per_s && !figures.memory_bandwidth_bytes_per_s) return std::nullopt;
  models::HardwareSpec spec;
  spec.name = "host";
  spec.description = fmt::format("this host ({}): {}, {} logical cores", host.hostname,
                                 host.cpu_model, host.logical_cores);
  spec.bf16_flops_per_s = figures.flops_per_s;
  spec.memory_bytes = static_cast<double>(host.memory_total_bytes);
  spec.memory_bandwidth_bytes_per_s = figures.memory_bandwidth_bytes_per_s.value_or(0);
  spec.origin = models::HardwareOrigin::kMeasured;
  spec.confidence = models::Confidence::kHigh;
  spec.source = figures.source;
  spec.confidence_note =
      "measured on this machine; a probe reaches what its kernels reach (oneDNN BF16 GEMM, "
      "STREAM triad), which is what the embedded engine can reach too";
  return spec;
}

PeakFigures CatalogPeaks(const models::HardwareSpec& spec, std::string_view precision, int devices,
                         std::string_view field) {
  std::optional<double> per_device;
  if (precision == "bf16") per_device = spec.bf16_flops_per_s;
  if (precision == "fp8") per_device = spec.fp8_flops_per_s;
  if (precision == "fp4") per_device = spec.fp4_flops_per_s;
  if (!per_device) {
    throw Error(
        fmt::format("{}: '{}' has no published dense {} peak (expected bf16, fp8 or "
                    "fp4 where the device has it)",
                    field, spec.name, precision));
  }
  if (devices < 1) throw Error(fmt::format("{}: expected at least 1 device", field));
  const double n = static_cast<double>(devices);
  return {
      .flops_per_s = *per_device * n,
      .memory_bandwidth_bytes_per_s = spec.memory_bandwidth_bytes_per_s * n,
      .precision = std::string(precision),
      .source = fmt::format("catalog: {} x {} ({}; {} confidence: {})", devices, spec.name,
                            spec.source, models::ToString(spec.confidence), spec.confidence_note)};
}

}  // namespace infermeter::collectors
