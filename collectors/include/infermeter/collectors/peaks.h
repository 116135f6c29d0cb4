#pragma once
// The peak figures MFU and MBU are measured against, and where they come from. A run on the
// embedded engine computes on this host's CPU, so its peaks are what `infermeter probe` measured
// here; a run against a GPU or NPU server uses the hardware catalog (models/hardware.h) times
// the number of devices. Either way the source is stated next to every MFU and MBU.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/models/hardware.h"
#include "infermeter/results/records.h"

namespace infermeter::collectors {

struct PeakFigures {
  std::optional<double> flops_per_s;                   // dense, in `precision`
  std::optional<double> memory_bandwidth_bytes_per_s;  // what MBU divides by
  std::string precision;                               // "bf16", "fp8"
  std::string source;  // always set; says "none: ..." and why when a figure is missing
};

// The newest full probe of `host` in `peaks` (ResultsStore::LoadHardwarePeaks): GEMM FLOP/s in
// `precision` and the memory bandwidth. Quick probes never count (they measure far below the
// peak and would inflate MFU).
PeakFigures MeasuredHostPeaks(const std::vector<results::HardwarePeak>& peaks,
                              std::string_view host, std::string_view precision);

// `devices` x the catalog's dense figures for `precision` ("bf16", "fp8", "fp4").
// Throws Error naming `field` (the option it came from) when the device has no figure for that
// precision.
PeakFigures CatalogPeaks(const models::HardwareSpec& spec, std::string_view precision, int devices,
                         std::string_view field);

// This host as a catalog entry (origin measured): its newest full probe's BF16 GEMM peak and
// memory bandwidth, its memory size and CPU. nullopt when the host has no full probe in `peaks`.
std::optional<models::HardwareSpec> MeasuredHostSpec(
    const std::vector<results::HardwarePeak>& peaks);

}  // namespace infermeter::collectors
