#include <cstdint>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/report/report_documents.h"

namespace infermeter::report {
namespace {

std::string Gib(std::int64_t bytes) {
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}

std::string Text(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return "";
  return found->is_string() ? found->get<std::string>() : found->dump();
}

// Accelerators grouped by what tells them apart for performance: "8 × NVIDIA H100 80GB HBM3
// (79.6 GiB, compute 9.0, driver 570.133.20)". Devices of one model with different drivers are
// listed apart, since a driver difference is worth seeing.
std::string Devices(const nlohmann::json& devices) {
  std::map<std::string, int> counts;
  std::vector<std::string> order;
  for (const nlohmann::json& device : devices) {
    if (!device.is_object()) continue;
    std::vector<std::string> details;
    if (const auto memory = device.find("memory_total_bytes");
        memory != device.end() && memory->is_number_integer()) {
      details.push_back(Gib(memory->get<std::int64_t>()));
    }
    if (const std::string cc = Text(device, "compute_capability"); !cc.empty()) {
      details.push_back("compute " + cc);
    }
    if (const std::string driver = Text(device, "driver_version"); !driver.empty()) {
      details.push_back("driver " + driver);
    }
    std::string name = Text(device, "name");
    if (name.empty()) name = "unnamed device";
    const std::string key =
        details.empty() ? name : fmt::format("{} ({})", name, fmt::join(details, ", "));
    if (counts[key]++ == 0) order.push_back(key);
  }
  std::vector<std::string> groups;
  for (const std::string& key : order) groups.push_back(fmt::format("{} × {}", counts[key], key));
  return fmt::format("{}", fmt::join(groups, "; "));
}

}  // namespace

std::vector<HardwareFact> HardwareFacts(const std::string& hardware_json) {
  const nlohmann::json hw =
      nlohmann::json::parse(hardware_json, nullptr, /*allow_exceptions=*/false);
  if (!hw.is_object())
    return {{"Hardware", "not recorded (the run's hardware JSON is not an object)"}};
  std::vector<HardwareFact> facts;
  const auto add = [&facts](const char* name, std::string value) {
    if (!value.empty()) facts.push_back({name, std::move(value)});
  };
  add("Device", Text(hw, "device"));
  if (const auto gpus = hw.find("gpus"); gpus != hw.end() && gpus->is_array() && !gpus->empty()) {
    add("GPUs", Devices(*gpus));
  }
  if (const auto npus = hw.find("npus"); npus != hw.end() && npus->is_array() && !npus->empty()) {
    add("NPUs", Devices(*npus));
  }
  add("Host", Text(hw, "host"));
  std::string cpu = Text(hw, "cpu_model");
  if (const auto cores = hw.find("logical_cores"); cores != hw.end() && cores->is_number()) {
    cpu += fmt::format("{}{} logical cores", cpu.empty() ? "" : ", ", cores->dump());
  }
  add("CPU", std::move(cpu));
  if (const auto memory = hw.find("memory_total_bytes");
      memory != hw.end() && memory->is_number_integer()) {
    add("Memory", Gib(memory->get<std::int64_t>()));
  }
  add("Kernel", Text(hw, "kernel"));
  add("Engine details", Text(hw, "engine_details"));
  return facts;
}

}  // namespace infermeter::report
