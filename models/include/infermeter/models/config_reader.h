#pragma once
// Reading and writing architecture descriptions.
//
// Two input forms are accepted:
//   * infermeter's own JSON ("format": "infermeter.architecture/1"), written by
//     ArchitectureToJson and documented in docs/COST_MODEL.md; strict: unknown fields are
//     errors, and writing then reading gives back an equal Architecture.
//   * a Hugging Face config.json, recognised by model_type: llama, qwen3, qwen3_moe,
//     deepseek_v3, deepseek_v32, deepseek_v4. Fields that do not change cost (rope_theta,
//     torch_dtype, ...) are ignored; fields that would change the architecture in a way the
//     cost model does not represent are errors.
// Every problem throws InputError naming the file and the field.

#include <string>
#include <string_view>

#include "infermeter/models/architecture.h"

namespace infermeter::models {

inline constexpr std::string_view kArchitectureFormat = "infermeter.architecture/1";

// `source` names the text in error messages (usually the file path).
Architecture ParseArchitecture(std::string_view json_text, const std::string& source);
// Reads a file; a missing or unreadable file is an InputError too.
Architecture LoadArchitecture(const std::string& path);
// A built-in name or alias (builtin.h) if there is one, otherwise a file path.
Architecture ResolveArchitecture(const std::string& name_or_path);

// infermeter's own form, pretty-printed with 2-space indentation.
std::string ArchitectureToJson(const Architecture& arch);

}  // namespace infermeter::models
