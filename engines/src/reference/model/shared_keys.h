#pragma once
// Keys decoded once per step for the slices whose queries would otherwise each decode the same
// cache entries again (a prefill chunk's queries share most of their keys). Decoding is
// deterministic, so a query gets the same floats either way: sharing changes no result.

#include <cstdint>

namespace infermeter::engines::reference {

// A slice with at least this many rows decodes its key range once...
inline constexpr std::int64_t kSharedKeysMinRows = 8;
// ...unless the decoded range would exceed this many floats (then each query decodes its own
// tiles as it goes, which needs no memory beyond a tile).
inline constexpr std::int64_t kSharedKeysMaxFloats = std::int64_t{64} << 20;

inline bool ShareKeys(std::int64_t rows, std::int64_t floats) {
  return rows >= kSharedKeysMinRows && floats <= kSharedKeysMaxFloats;
}

// out[i * floats ...] = decode(address(first + i)) for i < count, in parallel.
template <class Address, class Decode>
void DecodeRows(std::int64_t first, std::int64_t count, std::int64_t floats, Address address,
                Decode decode, float* out) {
#pragma omp parallel for schedule(static) if (count > 16)
  for (std::int64_t i = 0; i < count; ++i) decode(address(first + i), out + i * floats);
}

}  // namespace infermeter::engines::reference
