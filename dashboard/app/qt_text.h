#pragma once
// The core speaks UTF-8 std::string and string_view; Qt speaks QString.

#include <QString>

#include <string_view>

namespace infermeter::dashboard_app {

inline QString QText(std::string_view utf8) {
  return QString::fromUtf8(utf8.data(), static_cast<qsizetype>(utf8.size()));
}

}  // namespace infermeter::dashboard_app
