#pragma once
// Version and source revision of this build, fixed at configure time.

#include <string_view>

namespace infermeter {

std::string_view Version();      // "0.1.0"
std::string_view GitRevision();  // short hash, or "unknown" outside a git checkout

}  // namespace infermeter
