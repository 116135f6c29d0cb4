#include "infermeter/results/chunk_codec.h"

#include <gtest/gtest.h>

#include <random>

#include "infermeter/core/error.h"

namespace infermeter::results {
namespace {

TEST(ChunkCodec, RoundTripsRandomStreams) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const std::int64_t base = static_cast<std::int64_t>(rng() % 1'000'000'000'000);
    std::vector<ChunkArrival> chunks;
    std::int64_t t = base;
    const int n = static_cast<int>(rng() % 300);
    for (int i = 0; i < n; ++i) {
      // Gaps from 0 ns (two chunks in one read) to several seconds; 0 to 64 tokens a chunk.
      t += static_cast<std::int64_t>(rng() % (trial % 2 ? 5'000'000'000ULL : 50'000'000ULL));
      chunks.push_back({t, static_cast<std::int32_t>(rng() % 65)});
    }
    std::vector<std::uint8_t> blob;
    EncodeChunkArrivals(chunks, base, blob);
    EXPECT_EQ(DecodeChunkArrivals(blob, base), chunks);
  }
}

TEST(ChunkCodec, DocumentedByteLayout) {
  // Format byte, then (delta, tokens) pairs: 300 ns -> 0xAC 0x02, 1 token -> 0x01,
  // 0 ns -> 0x00, 2 tokens -> 0x02.
  std::vector<std::uint8_t> blob;
  EncodeChunkArrivals(std::vector<ChunkArrival>{{1300, 1}, {1300, 2}}, 1000, blob);
  EXPECT_EQ(blob, (std::vector<std::uint8_t>{0x01, 0xAC, 0x02, 0x01, 0x00, 0x02}));
}

TEST(ChunkCodec, EmptyStreamIsJustTheFormatByte) {
  std::vector<std::uint8_t> blob;
  EncodeChunkArrivals({}, 5, blob);
  EXPECT_EQ(blob, std::vector<std::uint8_t>{kChunkFormatVersion});
  EXPECT_TRUE(DecodeChunkArrivals(blob, 5).empty());
}

TEST(ChunkCodec, RefusesTimesGoingBackwards) {
  std::vector<std::uint8_t> blob;
  EXPECT_THROW(EncodeChunkArrivals(std::vector<ChunkArrival>{{100, 1}, {99, 1}}, 0, blob), Error);
  EXPECT_THROW(EncodeChunkArrivals(std::vector<ChunkArrival>{{5, 1}}, 10, blob), Error);
  EXPECT_THROW(EncodeChunkArrivals(std::vector<ChunkArrival>{{10, -1}}, 0, blob), Error);
}

TEST(ChunkCodec, RejectsMalformedBlobs) {
  EXPECT_THROW(DecodeChunkArrivals(std::vector<std::uint8_t>{}, 0), Error);
  EXPECT_THROW(DecodeChunkArrivals(std::vector<std::uint8_t>{0x02}, 0), Error);  // unknown format
  // Truncated varint (continuation bit set on the last byte).
  EXPECT_THROW(DecodeChunkArrivals(std::vector<std::uint8_t>{0x01, 0x80}, 0), Error);
  // A delta with no token count.
  EXPECT_THROW(DecodeChunkArrivals(std::vector<std::uint8_t>{0x01, 0x05}, 0), Error);
  // A varint of 11 bytes.
  std::vector<std::uint8_t> long_varint(1, 0x01);
  long_varint.insert(long_varint.end(), 10, 0xFF);
  long_varint.push_back(0x01);
  EXPECT_THROW(DecodeChunkArrivals(long_varint, 0), Error);
}

}  // namespace
}  // namespace infermeter::results
