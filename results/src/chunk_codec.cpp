#include "infermeter/results/chunk_codec.h"

#include <limits>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::results {
namespace {

inline void PutVarint(std::uint64_t value, std::vector<std::uint8_t>& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

// Reads one varint at `*pos`; throws on truncation or on more than 64 bits.
std::uint64_t GetVarint(std::span<const std::uint8_t> blob, std::size_t* pos) {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= blob.size()) {
      throw Error(fmt::format("chunk blob: varint truncated at byte {} of {}", *pos, blob.size()));
    }
    const std::uint8_t byte = blob[(*pos)++];
    if (shift == 63 && (byte & 0x7e) != 0) {
      throw Error(fmt::format("chunk blob: varint overflows 64 bits at byte {}", *pos - 1));
    }
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  throw Error(fmt::format("chunk blob: varint longer than 10 bytes at byte {}", *pos));
}

}  // namespace

void ValidateChunkArrivals(std::span<const ChunkArrival> chunks, std::int64_t base_ns) {
  std::int64_t previous = base_ns;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i].time_ns < previous) {
      throw Error(fmt::format(
          "chunk {} arrives at {} ns, before {} ({} ns): chunk times must not "
          "go backwards or precede the send time",
          i, chunks[i].time_ns, i == 0 ? "the send time" : "the chunk before", previous));
    }
    if (chunks[i].tokens < 0) {
      throw Error(fmt::format("chunk {} carries {} tokens (expected >= 0)", i, chunks[i].tokens));
    }
    previous = chunks[i].time_ns;
  }
}

void EncodeChunkArrivals(std::span<const ChunkArrival> chunks, std::int64_t base_ns,
                         std::vector<std::uint8_t>& out) {
  ValidateChunkArrivals(chunks, base_ns);
  out.clear();
  out.reserve(1 + chunks.size() * 5);
  out.push_back(kChunkFormatVersion);
  std::int64_t previous = base_ns;
  for (const ChunkArrival& chunk : chunks) {
    PutVarint(static_cast<std::uint64_t>(chunk.time_ns - previous), out);
    PutVarint(static_cast<std::uint64_t>(chunk.tokens), out);
    previous = chunk.time_ns;
  }
}

std::vector<ChunkArrival> DecodeChunkArrivals(std::span<const std::uint8_t> blob,
                                              std::int64_t base_ns) {
  if (blob.empty()) throw Error("chunk blob: empty (expected at least the format byte)");
  if (blob[0] != kChunkFormatVersion) {
    throw Error(fmt::format("chunk blob: format {} is not known (expected {})", blob[0],
                            kChunkFormatVersion));
  }
  std::vector<ChunkArrival> chunks;
  std::size_t pos = 1;
  std::int64_t time_ns = base_ns;
  while (pos < blob.size()) {
    const std::uint64_t delta = GetVarint(blob, &pos);
    const std::uint64_t tokens = GetVarint(blob, &pos);
    std::int64_t next_ns = 0;
    if (delta > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
        __builtin_add_overflow(time_ns, static_cast<std::int64_t>(delta), &next_ns) ||
        tokens > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
      throw Error(fmt::format("chunk blob: chunk {} is out of range", chunks.size()));
    }
    time_ns = next_ns;
    chunks.push_back({time_ns, static_cast<std::int32_t>(tokens)});
  }
  return chunks;
}

}  // namespace infermeter::results
