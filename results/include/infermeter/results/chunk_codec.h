#pragma once
// Compact encoding of a request's per-chunk arrival times (the `request_chunks.data` BLOB).
//
// Format 1 (documented in docs/RESULTS.md):
//   byte 0          format version, 0x01
//   then per chunk  varint(delta_ns << 1 | carries_other_than_one_token)
//                   [varint(tokens)]    only when that low bit is set
// where delta_ns is the chunk's time minus the previous chunk's time, and for the first chunk
// minus the request's `sent_ns`. Varints are unsigned LEB128 (7 bits a byte, low bits first).
// Lossless in nanoseconds. Most chunks carry exactly one token, so they cost only their delta:
// a 20 ms inter-token gap takes 4 bytes, and a 256-token stream about 1 KB.

#include <cstdint>
#include <span>
#include <vector>

#include "infermeter/results/records.h"

namespace infermeter::results {

inline constexpr std::uint8_t kChunkFormatVersion = 1;

// Throws Error when a chunk is earlier than the one before it (or than base_ns), is more than
// 2^62 ns (146 years) after it, or carries a negative token count: such data would not survive
// the encoding.
void ValidateChunkArrivals(std::span<const ChunkArrival> chunks, std::int64_t base_ns);

// Writes the encoding to `out` (replacing its contents). Throws like ValidateChunkArrivals.
void EncodeChunkArrivals(std::span<const ChunkArrival> chunks, std::int64_t base_ns,
                         std::vector<std::uint8_t>& out);

// The same without the checks, for chunks that already passed ValidateChunkArrivals (the
// writer checks at Add() and encodes on its own thread).
// REQUIRES: ValidateChunkArrivals(chunks, base_ns) does not throw.
void EncodeValidatedChunkArrivals(std::span<const ChunkArrival> chunks, std::int64_t base_ns,
                                  std::vector<std::uint8_t>& out);

// Decodes a BLOB made by EncodeChunkArrivals. Throws Error on an unknown format version, a
// truncated varint or a value that overflows 64 bits.
std::vector<ChunkArrival> DecodeChunkArrivals(std::span<const std::uint8_t> blob,
                                              std::int64_t base_ns);

}  // namespace infermeter::results

namespace infermeter::results {

// The time a request's first chunk delta counts from: its send time, or its scheduled time for
// a request that was never sent (and so has no chunks).
inline std::int64_t ChunkBaseNs(const RequestRecord& request) {
  return request.sent_ns.value_or(request.scheduled_ns);
}

}  // namespace infermeter::results
