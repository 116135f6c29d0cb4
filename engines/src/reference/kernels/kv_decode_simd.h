#pragma once
// AVX-512 inner loops of the cache-entry decoders (kv_codec.cpp). Callers check CpuHasAvx512()
// first; each gives exactly the floats of the portable decoder (table lookup times scale).

#include <cstdint>

namespace infermeter::engines::reference {

// out[i] = FP8 e4m3 value of in[i] * scale, for i < n.
void DecodeFp8Avx512(const std::uint8_t* in, std::int64_t n, float scale, float* out);

// out[i] = the BF16 value stored little-endian at in + 2 * i, for i < n.
void DecodeBf16Avx512(const std::uint8_t* in, std::int64_t n, float* out);

}  // namespace infermeter::engines::reference
