#include "infermeter/results/hardware_summary.h"

#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace infermeter::results {
namespace {

// The string at `key`, or "" when it is missing or not a string: a description written by
// another build or by hand must not make a summary throw.
std::string StringField(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Devices of one kind: "8x NAME", or "NAME_A + NAME_B" counted per name when they differ;
// "" when there are none.
std::string DeviceCounts(const nlohmann::json& hardware, const char* key) {
  const auto it = hardware.find(key);
  if (it == hardware.end() || !it->is_array()) return {};
  std::vector<std::pair<std::string, int>> counts;
  for (const auto& device : *it) {
    std::string name = device.is_object() ? StringField(device, "name") : std::string();
    if (name.empty()) name = "unknown";
    if (!counts.empty() && counts.back().first == name) {
      ++counts.back().second;
    } else {
      counts.emplace_back(std::move(name), 1);
    }
  }
  std::string out;
  for (const auto& [name, count] : counts) {
    if (!out.empty()) out += " + ";
    out += fmt::format("{}x {}", count, name);
  }
  return out;
}

}  // namespace

bool ServedRemotely(std::string_view device) {
  constexpr std::string_view kPrefix = "server at ";
  if (!device.starts_with(kPrefix)) return false;
  std::string_view host = device.substr(kPrefix.size());
  if (const std::size_t scheme = host.find("://"); scheme != std::string_view::npos) {
    host.remove_prefix(scheme + 3);
  }
  host = host.substr(0, host.find('/'));
  if (host.starts_with("[")) {  // [::1]:8000
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return !(host == "localhost" || host == "[::1]" || host.starts_with("127."));
}

std::string HardwareSummary(std::string_view hardware_json) {
  const nlohmann::json hardware = nlohmann::json::parse(hardware_json, nullptr, false);
  if (!hardware.is_object()) return "unknown";
  // A remote server's hardware is unknown to the client, whose own devices say nothing about it:
  // name the server ("server at http://10.0.0.5:8000"); `--label hardware=...` names its devices.
  if (std::string device = StringField(hardware, "device"); ServedRemotely(device)) {
    return device;
  }
  if (std::string gpus = DeviceCounts(hardware, "gpus"); !gpus.empty()) return gpus;
  if (std::string npus = DeviceCounts(hardware, "npus"); !npus.empty()) return npus;
  const std::string cpu = StringField(hardware, "cpu_model");
  if (cpu.empty()) return "unknown";
  const auto cores = hardware.find("logical_cores");
  const int core_count = cores != hardware.end() && cores->is_number() ? cores->get<int>() : 0;
  return core_count > 0 ? fmt::format("{} ({} cores)", cpu, core_count) : cpu;
}

}  // namespace infermeter::results
