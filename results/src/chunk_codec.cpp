#include "infermeter/results/chunk_codec.h"

#include <limits>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::results {
namespace {

// Deltas are shifted left by one bit to make room for the token flag.
constexpr std::int64_t kMaxDeltaNs = std::int64_t{1} << 62;

constexpr std::size_t kMaxVarintBytes = 10;

// Writes `value` at `out` and returns the byte after it.
inline std::uint8_t* PutVarint(std::uint64_t value, std::uint8_t* out) {
  while (value >= 0x80) {
    *out++ = static_cast<std::uint8_t>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<std::uint8_t>(value);
  return out;
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
    if (chunks[i].time_ns - previous > kMaxDeltaNs) {
      throw Error(fmt::format(
          "chunk {} arrives {} ns after {}: more than the 2^62 ns a chunk "
          "delta may span",
          i, chunks[i].time_ns - previous, i == 0 ? "the send time" : "the chunk before"));
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
  EncodeValidatedChunkArrivals(chunks, base_ns, out);
}

void EncodeValidatedChunkArrivals(std::span<const ChunkArrival> chunks, std::int64_t base_ns,
                                  std::vector<std::uint8_t>& out) {
  // Sized for the worst case up front and written through a pointer: the writer encodes every
  // request of a run, so this loop is on its hot path. A chunk takes at most two 10-byte varints.
  out.resize(1 + chunks.size() * 2 * kMaxVarintBytes);
  std::uint8_t* cursor = out.data();
  *cursor++ = kChunkFormatVersion;
  std::int64_t previous = base_ns;
  for (const ChunkArrival& chunk : chunks) {
    const auto delta_ns = static_cast<std::uint64_t>(chunk.time_ns - previous);
    const bool other_count = chunk.tokens != 1;
    cursor = PutVarint(delta_ns << 1 | (other_count ? 1 : 0), cursor);
    if (other_count) cursor = PutVarint(static_cast<std::uint64_t>(chunk.tokens), cursor);
    previous = chunk.time_ns;
  }
  out.resize(static_cast<std::size_t>(cursor - out.data()));
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
    const std::uint64_t head = GetVarint(blob, &pos);
    const std::uint64_t delta = head >> 1;
    const std::uint64_t tokens = (head & 1) != 0 ? GetVarint(blob, &pos) : 1;
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
