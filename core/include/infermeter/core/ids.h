#pragma once
// Strong integer ids: a RunId cannot be passed where a RequestId is expected.

#include <compare>
#include <cstdint>
#include <functional>

namespace infermeter {

template <typename Tag>
struct StrongId {
  std::int64_t value = 0;

  constexpr StrongId() = default;
  constexpr explicit StrongId(std::int64_t v) : value(v) {}
  constexpr auto operator<=>(const StrongId&) const = default;
};

using RunId = StrongId<struct RunIdTag>;          // rowid of `runs`
using RequestId = StrongId<struct RequestIdTag>;  // unique within a run

}  // namespace infermeter

template <typename Tag>
struct std::hash<infermeter::StrongId<Tag>> {
  std::size_t operator()(const infermeter::StrongId<Tag>& id) const noexcept {
    return std::hash<std::int64_t>{}(id.value);
  }
};
