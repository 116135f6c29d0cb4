// The hardware catalog: every device the issue lists, with a source and a confidence note,
// and room for a measured entry.

#include <gtest/gtest.h>

#include "infermeter/models/hardware.h"

namespace infermeter::models {
namespace {

TEST(Hardware, CatalogHasEveryListedDeviceWithSources) {
  const HardwareCatalog catalog;
  for (const char* name : {"h100-sxm", "h200", "b200", "gb200", "gb300", "ascend-910b",
                           "ascend-910c", "ascend-950pr", "mi300x"}) {
    const HardwareSpec* spec = catalog.Find(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_FALSE(spec->source.empty()) << name;
    EXPECT_FALSE(spec->confidence_note.empty()) << name;
    EXPECT_GT(spec->memory_bytes, 0) << name;
    EXPECT_GT(spec->memory_bandwidth_bytes_per_s, 0) << name;
    EXPECT_TRUE(spec->bf16_flops_per_s || spec->fp8_flops_per_s) << name;
  }
  // Dense, not sparse: H100 SXM BF16 is 989.4 TFLOP/s (the datasheet's 1,979 is sparse).
  EXPECT_DOUBLE_EQ(*catalog.Find("h100-sxm")->bf16_flops_per_s, 989.4e12);
  EXPECT_FALSE(catalog.Find("ascend-910b")->fp8_flops_per_s.has_value());
}

TEST(Hardware, MeasuredEntriesCanBeAdded) {
  HardwareCatalog catalog;
  catalog.Add({.name = "host-cpu",
               .bf16_flops_per_s = 1e11,
               .memory_bytes = 24e9,
               .memory_bandwidth_bytes_per_s = 1e10,
               .origin = HardwareOrigin::kMeasured});
  ASSERT_NE(catalog.Find("host-cpu"), nullptr);
  EXPECT_EQ(catalog.Find("host-cpu")->origin, HardwareOrigin::kMeasured);
  catalog.Add({.name = "host-cpu", .memory_bytes = 48e9});
  EXPECT_EQ(catalog.Find("host-cpu")->memory_bytes, 48e9);
}

}  // namespace
}  // namespace infermeter::models
