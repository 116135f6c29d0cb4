#pragma once
// The hardware description stored with every run (`runs.hardware`): the host (CPU model and
// cores, memory, kernel), NVIDIA GPUs from NVML and Huawei Ascend NPUs from DCMI or npu-smi,
// with driver versions, and why a kind of device could not be described. Built once per
// invocation: enumerating devices costs a driver initialisation.

#include <string>

namespace infermeter::collectors {

struct HardwareDescriptionInput {
  std::string device;          // where the engine computes: "cpu" for the embedded engine
  std::string engine_details;  // EngineDescription::details
};

// A JSON object: {"host", "cpu_model", "logical_cores", "memory_total_bytes", "kernel",
// "device", "engine_details", "gpus": [...], "npus": [...], "unavailable": {"gpus": why, ...}}.
std::string DescribeHardwareJson(const HardwareDescriptionInput& input);

}  // namespace infermeter::collectors
