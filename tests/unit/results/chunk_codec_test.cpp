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
  // Format byte; then 300 ns with one token -> (300 << 1 | 0) = 600 -> 0xD8 0x04;
  // then 0 ns with two tokens -> (0 << 1 | 1) = 0x01 followed by the count 0x02.
  std::vector<std::uint8_t> blob;
  EncodeChunkArrivals(std::vector<ChunkArrival>{{1300, 1}, {1300, 2}}, 1000, blob);
  EXPECT_EQ(blob, (std::vector<std::uint8_t>{0x01, 0xD8, 0x04, 0x01, 0x02}));
}

TEST(ChunkCodec, OneTokenChunksCostOnlyTheirDelta) {
  // 256 one-token chunks 20 ms apart: 4 bytes each (20e6 << 1 < 2^28), plus the format byte.
  std::vector<ChunkArrival> chunks;
  for (int i = 1; i <= 256; ++i) chunks.push_back({i * 20'000'000LL, 1});
  std::vector<std::uint8_t> blob;
  EncodeChunkArrivals(chunks, 0, blob);
  EXPECT_EQ(blob.size(), 1u + 256u * 4u);
}

TEST(ChunkCodec, ZeroTokenChunksRoundTrip) {
  const std::vector<ChunkArrival> chunks = {{10, 0}, {20, 1}, {30, 0}, {40, 5}};
  std::vector<std::uint8_t> blob;
  EncodeChunkArrivals(chunks, 0, blob);
  EXPECT_EQ(DecodeChunkArrivals(blob, 0), chunks);
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
  EXPECT_THROW(EncodeChunkArrivals(std::vector<ChunkArrival>{{(1LL << 62) + 1, 1}}, 0, blob),
               Error);
}

TEST(ChunkCodec, RejectsMalformedBlobs) {
  EXPECT_THROW(DecodeChunkArrivals(std::vector<std::uint8_t>{}, 0), Error);
  EXPECT_THROW(DecodeChunkArrivals(std::vector<std::uint8_t>{0x02}, 0), Error);  // unknown format
  // Truncated varint (continuation bit set on the last byte).
  EXPECT_THROW(DecodeChunkArrivals(std::vector<std::uint8_t>{0x01, 0x80}, 0), Error);
  // A chunk whose flag announces a token count that is not there.
  EXPECT_THROW(DecodeChunkArrivals(std::vector<std::uint8_t>{0x01, 0x05}, 0), Error);
  // A varint of 11 bytes.
  std::vector<std::uint8_t> long_varint(1, 0x01);
  long_varint.insert(long_varint.end(), 10, 0xFF);
  long_varint.push_back(0x01);
  EXPECT_THROW(DecodeChunkArrivals(long_varint, 0), Error);
}

}  // namespace
}  // namespace infermeter::results
