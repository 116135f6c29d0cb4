#include "infermeter/collectors/hardware_description.h"

#include <nlohmann/json.hpp>

#include "infermeter/collectors/ascend_collector.h"
#include "infermeter/collectors/host_description.h"
#include "infermeter/collectors/nvml_collector.h"

namespace infermeter::collectors {

std::string DescribeHardwareJson(const HardwareDescriptionInput& input) {
  const HostDescription host = DescribeHost();
  nlohmann::json j = {{"host", host.hostname},
                      {"cpu_model", host.cpu_model},
                      {"logical_cores", host.logical_cores},
                      {"memory_total_bytes", host.memory_total_bytes},
                      {"kernel", host.kernel_release},
                      {"device", input.device},
                      {"engine_details", input.engine_details},
                      {"gpus", nlohmann::json::array()},
                      {"npus", nlohmann::json::array()},
                      {"unavailable", nlohmann::json::object()}};
  std::string why;
  for (const auto& gpu : DescribeNvidiaGpus(&why)) {
    j["gpus"].push_back({{"index", gpu.index},
                         {"name", gpu.name},
                         {"uuid", gpu.uuid},
                         {"memory_total_bytes", gpu.memory_total_bytes},
                         {"driver_version", gpu.driver_version},
                         {"compute_capability", gpu.compute_capability}});
  }
  if (j["gpus"].empty()) j["unavailable"]["gpus"] = why;
  why.clear();
  for (const auto& npu : DescribeAscendNpus(&why)) {
    j["npus"].push_back({{"npu_id", npu.npu_id},
                         {"chip_id", npu.chip_id},
                         {"name", npu.name},
                         {"memory_total_bytes", npu.memory_total_bytes},
                         {"driver_version", npu.driver_version},
                         {"source", npu.source}});
  }
  if (j["npus"].empty()) j["unavailable"]["npus"] = why;
  return j.dump();
}

}  // namespace infermeter::collectors
