// Peak selection (measured host peaks, catalog devices) and energy per token.
#include <gtest/gtest.h>

#include "infermeter/collectors/energy_collector.h"
#include "infermeter/collectors/peaks.h"
#include "infermeter/core/error.h"
#include "infermeter/models/hardware.h"

namespace infermeter::collectors {
namespace {

results::HardwarePeak Peak(std::string host, std::string metric, std::string dtype, double value,
                           std::int64_t when, bool quick = false) {
  return {.measured_unix_ns = when,
          .host = std::move(host),
          .metric = std::move(metric),
          .dtype = std::move(dtype),
          .value = value,
          .method = "test",
          .details_json = quick ? R"({"quick":true})" : "{}"};
}

TEST(Peaks, MeasuredTakesThisHostsNewestFullProbe) {
  const std::vector<results::HardwarePeak> peaks = {
      Peak("here", "gemm_flops_per_s", "bf16", 1e11, 1),
      Peak("here", "gemm_flops_per_s", "bf16", 3e11, 5, /*quick=*/true),  // newer but quick
      Peak("here", "gemm_flops_per_s", "bf16", 2e11, 3),
      Peak("elsewhere", "gemm_flops_per_s", "bf16", 9e11, 9),
      Peak("here", "gemm_flops_per_s", "fp32", 5e10, 9),
      Peak("here", "memory_bandwidth_bytes_per_s", "", 3e10, 2)};
  const PeakFigures f = MeasuredHostPeaks(peaks, "here", "bf16");
  EXPECT_EQ(f.flops_per_s, 2e11);
  EXPECT_EQ(f.memory_bandwidth_bytes_per_s, 3e10);
  EXPECT_NE(f.source.find("measured on host 'here'"), std::string::npos) << f.source;

  const PeakFigures none = MeasuredHostPeaks(peaks, "nowhere", "bf16");
  EXPECT_FALSE(none.flops_per_s);
  EXPECT_NE(none.source.find("infermeter probe"), std::string::npos) << none.source;

  // A quick probe alone gives no peak: its tiny matrices would make MFU look huge.
  const PeakFigures quick = MeasuredHostPeaks(
      {Peak("q", "gemm_flops_per_s", "bf16", 5e8, 1, /*quick=*/true)}, "q", "bf16");
  EXPECT_FALSE(quick.flops_per_s);
  EXPECT_NE(quick.source.find("quick probes do not count"), std::string::npos) << quick.source;
}

TEST(Peaks, CatalogScalesByDevicesAndRefusesAMissingPrecision) {
  const models::HardwareCatalog catalog;
  const auto* h100 = catalog.Find("h100-sxm");
  ASSERT_NE(h100, nullptr);
  const PeakFigures f = CatalogPeaks(*h100, "bf16", 8, "--peak");
  EXPECT_DOUBLE_EQ(*f.flops_per_s, 8 * *h100->bf16_flops_per_s);
  EXPECT_DOUBLE_EQ(*f.memory_bandwidth_bytes_per_s, 8 * h100->memory_bandwidth_bytes_per_s);
  EXPECT_NE(f.source.find("catalog: 8 x h100-sxm"), std::string::npos) << f.source;
  try {
    CatalogPeaks(*h100, "fp4", 1, "--peak");  // Hopper has no FP4
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--peak"), std::string::npos) << e.what();
  }
  EXPECT_THROW(CatalogPeaks(*h100, "bf16", 0, "--devices"), Error);
}

TEST(EnergyCollector, JoulesPerOutputTokenFromDeviceEnergy) {
  std::vector<results::RequestRecord> requests(2);
  requests[0].output_tokens = 30;
  requests[1].output_tokens = 20;
  std::vector<results::RunMetric> metrics = {{.name = "gpu_energy_j", .value = 100, .unit = "J"}};
  std::vector<results::SampleRecord> samples;
  EnergyCollector energy;
  energy.Summarize({.requests = &requests}, metrics, samples);
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_EQ(metrics[1].name, "energy_j");
  EXPECT_DOUBLE_EQ(metrics[2].value, 2.0);  // energy_j_per_output_token
  EXPECT_DOUBLE_EQ(metrics[3].value, 0.5);  // output_tokens_per_j
  EXPECT_EQ(energy.Facts()[0].second, "gpu_energy_j");
}

TEST(EnergyCollector, NoReadingsNoFigures) {
  std::vector<results::RequestRecord> requests(1);
  std::vector<results::RunMetric> metrics;
  std::vector<results::SampleRecord> samples;
  EnergyCollector energy;
  energy.Summarize({.requests = &requests}, metrics, samples);
  EXPECT_TRUE(metrics.empty());
  EXPECT_NE(energy.Facts()[0].second.find("none"), std::string::npos);
}

}  // namespace
}  // namespace infermeter::collectors
