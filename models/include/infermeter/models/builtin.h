#pragma once
// The architectures infermeter ships: the published models it compares and the small presets
// the reference engine runs. Every value comes from a published config; docs/COST_MODEL.md
// names the source of each and the reasoning behind the preset sizes.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/models/architecture.h"

namespace infermeter::models {

struct BuiltinInfo {
  std::string name;                  // canonical name ("deepseek-v4-pro")
  std::vector<std::string> aliases;  // also accepted ("v4-pro")
  std::string description;           // one line for `infermeter model list`
  bool preset = false;               // a reduced-size preset for the reference engine
};

// Every built-in architecture, published models first, then presets.
const std::vector<BuiltinInfo>& Builtins();

// The architecture named `name` (canonical name or alias, case-insensitive), or nullopt.
std::optional<Architecture> FindBuiltin(std::string_view name);

}  // namespace infermeter::models
