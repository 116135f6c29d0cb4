// Cache-entry codecs: sizes equal the cost model's for every preset, byte layouts are the
// documented ones, and decode(encode(v)) is within each format's precision.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "infermeter/models/builtin.h"
#include "infermeter/models/kv_cache.h"
#include "kernels/bf16.h"
#include "kernels/kv_codec.h"

namespace infermeter::engines::reference {
namespace {

using models::AttentionKind;
using models::IndexerKeyFormat;
using models::KvFormat;

constexpr const char* kPresets[] = {"v4-mini", "v3-mini", "v3.2-mini", "llama-mini", "tiny"};
constexpr KvFormat kKvFormats[] = {KvFormat::kBf16, KvFormat::kFp8, KvFormat::kFlashMlaFp8,
                                   KvFormat::kV4Fp8};
constexpr IndexerKeyFormat kIndexerFormats[] = {IndexerKeyFormat::kBf16, IndexerKeyFormat::kFp8,
                                                IndexerKeyFormat::kFp4};

models::Architecture Preset(const char* name) { return models::FindBuiltin(name).value(); }

std::set<AttentionKind> Kinds(const models::Architecture& arch) {
  std::set<AttentionKind> kinds;
  for (const auto& layer : arch.layers) kinds.insert(layer.attention);
  return kinds;
}

// Values over several orders of magnitude with both signs, so scaled groups differ.
std::vector<float> Values(std::int64_t n, std::uint32_t seed) {
  std::vector<float> v(static_cast<std::size_t>(n));
  std::uint32_t state = seed;
  for (std::int64_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    const float unit = static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f;
    v[static_cast<std::size_t>(i)] = unit * std::ldexp(1.0f, static_cast<int>(i / 64 % 7) - 3);
  }
  return v;
}

float MaxAbs(const std::vector<float>& v, std::size_t begin, std::size_t end) {
  float amax = 0;
  for (std::size_t i = begin; i < std::min(end, v.size()); ++i)
    amax = std::max(amax, std::fabs(v[i]));
  return amax;
}

// FP8 e4m3 quantisation error of |v| <= 448 * scale: half a mantissa step (2^-4 relative), or
// half the subnormal step (2^-10 * scale).
double Fp8Bound(float v, float scale) { return std::fabs(v) * 0x1p-4 + scale * 0x1p-10; }
double Bf16Bound(float v) { return std::fabs(v) * 0x1p-8; }

TEST(Fp8E4m3, EveryCodeRoundTrips) {
  for (int code = 0; code < 256; ++code) {
    const float v = DecodeFp8E4m3(static_cast<std::uint8_t>(code));
    if ((code & 0x7f) == 0x7f) {
      EXPECT_TRUE(std::isnan(v)) << code;
      continue;
    }
    EXPECT_EQ(EncodeFp8E4m3(v), code) << code << " = " << v;
  }
}

TEST(Fp8E4m3, KnownValuesSaturationAndTies) {
  EXPECT_EQ(DecodeFp8E4m3(0x7e), 448.0f);
  EXPECT_EQ(DecodeFp8E4m3(0x01), 0x1p-9f);
  EXPECT_EQ(DecodeFp8E4m3(0x38), 1.0f);
  EXPECT_EQ(EncodeFp8E4m3(1000.0f), 0x7e);
  EXPECT_EQ(EncodeFp8E4m3(-std::numeric_limits<float>::infinity()), 0xfe);
  EXPECT_TRUE(std::isnan(DecodeFp8E4m3(EncodeFp8E4m3(std::nanf("")))));
  EXPECT_EQ(EncodeFp8E4m3(1.0625f), 0x38);   // tie between 1 and 1.125: even mantissa
  EXPECT_EQ(EncodeFp8E4m3(1.1875f), 0x3a);   // tie between 1.125 and 1.25: even mantissa
  EXPECT_EQ(EncodeFp8E4m3(0x1p-10f), 0x00);  // tie between 0 and the smallest subnormal
  EXPECT_EQ(EncodeFp8E4m3(0x3p-10f), 0x02);  // tie between subnormals 1 and 2
}

TEST(Fp8E4m3, EncodesToTheNearestCode) {
  // Against a brute-force search over all finite codes, ties to the even code.
  std::uint32_t state = 99;
  for (int trial = 0; trial < 20000; ++trial) {
    state = state * 1664525u + 1013904223u;
    const float v = (static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f) *
                    std::ldexp(1.0f, static_cast<int>(state % 22) - 12);
    int best = -1;
    double best_error = 0;
    for (int code = 0; code < 256; ++code) {
      if ((code & 0x7f) == 0x7f) continue;
      const double error = std::fabs(static_cast<double>(DecodeFp8E4m3(code)) - v);
      if (best < 0 || error < best_error || (error == best_error && (code & 1) == 0)) {
        best = code;
        best_error = error;
      }
    }
    const std::uint8_t got = EncodeFp8E4m3(v);
    ASSERT_EQ(std::fabs(static_cast<double>(DecodeFp8E4m3(got)) - v), best_error) << v;
    ASSERT_EQ(DecodeFp8E4m3(got), DecodeFp8E4m3(static_cast<std::uint8_t>(best))) << v;
  }
}

TEST(EntryCodec, BytesEqualTheCostModelForEveryPreset) {
  int checked = 0;
  for (const char* name : kPresets) {
    const auto arch = Preset(name);
    for (AttentionKind kind : Kinds(arch)) {
      for (KvFormat format : kKvFormats) {
        SCOPED_TRACE(
            fmt::format("{} {} {}", name, models::ToString(kind), models::ToString(format)));
        std::int64_t expected = -1;
        try {
          expected = models::KvEntryBytes(arch, kind, format);
        } catch (const Error&) {
          EXPECT_THROW(EntryCodec(arch, kind, format), Error);
          continue;
        }
        EXPECT_EQ(EntryCodec(arch, kind, format).bytes(), expected);
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 20);
}

TEST(EntryCodec, WrongFormatForKindThrows) {
  EXPECT_THROW(EntryCodec(Preset("v4-mini"), AttentionKind::kCsa, KvFormat::kFlashMlaFp8), Error);
  EXPECT_THROW(EntryCodec(Preset("v3-mini"), AttentionKind::kMla, KvFormat::kV4Fp8), Error);
  EXPECT_THROW(EntryCodec(Preset("llama-mini"), AttentionKind::kGqa, KvFormat::kV4Fp8), Error);
  EXPECT_THROW(EntryCodec(Preset("llama-mini"), AttentionKind::kGqa, KvFormat::kFlashMlaFp8),
               Error);
}

// Round trip of every (preset, kind, format) that applies, against the format's precision.
TEST(EntryCodec, RoundTripWithinPrecision) {
  std::uint32_t seed = 1;
  for (const char* name : kPresets) {
    const auto arch = Preset(name);
    for (AttentionKind kind : Kinds(arch)) {
      for (KvFormat format : kKvFormats) {
        std::int64_t rope = 0;
        std::int64_t group = 0;
        if (format == KvFormat::kFlashMlaFp8) {
          if (kind != AttentionKind::kMla && kind != AttentionKind::kDsa) continue;
          rope = arch.mla.qk_rope_head_dim;
          group = 128;
        } else if (format == KvFormat::kV4Fp8) {
          if (kind != AttentionKind::kSwa && kind != AttentionKind::kCsa &&
              kind != AttentionKind::kHca) {
            continue;
          }
          rope = arch.v4.rope_head_dim;
          group = 64;
        }
        SCOPED_TRACE(
            fmt::format("{} {} {}", name, models::ToString(kind), models::ToString(format)));
        const EntryCodec codec(arch, kind, format);
        std::vector<float> v = Values(codec.elements(), seed++);
        if (format == KvFormat::kFp8) {
          for (float& x : v) x *= 50.0f;  // scale 1.0: use the range, below 448
        }
        std::vector<std::uint8_t> bytes(static_cast<std::size_t>(codec.bytes()), 0xcd);
        codec.Encode(v.data(), bytes.data());
        std::vector<float> back(v.size());
        codec.Decode(bytes.data(), back.data());
        const std::size_t quantized = v.size() - static_cast<std::size_t>(rope);
        for (std::size_t i = 0; i < v.size(); ++i) {
          double bound = Bf16Bound(v[i]);
          if (format == KvFormat::kFp8) bound = Fp8Bound(v[i], 1.0f);
          if (group > 0 && i < quantized) {
            const std::size_t begin = i / group * group;
            // FlashMLA's scale is amax/448; V4's the next power of two up, at most twice that.
            const float scale = MaxAbs(v, begin, std::min(quantized, begin + group)) / 448.0f;
            bound = Fp8Bound(v[i], format == KvFormat::kV4Fp8 ? 2 * scale : scale);
          }
          ASSERT_LE(std::fabs(back[i] - v[i]), bound) << i << " " << v[i];
        }
      }
    }
  }
}

TEST(EntryCodec, V4Layout) {
  // 448 FP8 NoPE | 64 BF16 rope | 7 ue8m0 scales | 1 pad = 584 bytes.
  const auto arch = Preset("v4-mini");
  const EntryCodec codec(arch, AttentionKind::kCsa, KvFormat::kV4Fp8);
  ASSERT_EQ(codec.bytes(), 584);
  ASSERT_EQ(codec.elements(), 512);
  std::vector<float> v(512, 1.0f);
  for (int i = 64; i < 128; ++i) v[i] = -0.75f;
  v[448] = 3.0f;  // first rope element
  std::vector<std::uint8_t> bytes(584, 0xcd);
  codec.Encode(v.data(), bytes.data());
  // Group 0: amax 1, scale 2^-8 (256 <= 448 < 512): 1.0 -> 256 -> e4m3 0x78, exponent 119.
  EXPECT_EQ(bytes[0], 0x78);
  EXPECT_EQ(bytes[576], 119);
  // Group 1: amax 0.75, scale 2^-9: -0.75 -> -384 = -1.5 * 2^8 -> 0xfc.
  EXPECT_EQ(bytes[64], 0xfc);
  EXPECT_EQ(bytes[577], 118);
  std::uint16_t rope0 = 0;
  std::memcpy(&rope0, &bytes[448], 2);
  EXPECT_EQ(rope0, ToBf16(3.0f).bits);
  EXPECT_EQ(bytes[583], 0);  // pad
}

TEST(EntryCodec, FlashMlaLayout) {
  // 512 FP8 latent | 4 fp32 scales | 64 BF16 rope = 656 bytes.
  const auto arch = Preset("v3-mini");
  const EntryCodec codec(arch, AttentionKind::kMla, KvFormat::kFlashMlaFp8);
  ASSERT_EQ(codec.bytes(), 656);
  std::vector<float> v(576, 0.5f);
  v[130] = -2.0f;  // group 1's amax
  v[512] = 7.0f;   // first rope element
  std::vector<std::uint8_t> bytes(656, 0xcd);
  codec.Encode(v.data(), bytes.data());
  float scale0 = 0;
  float scale1 = 0;
  std::memcpy(&scale0, &bytes[512], 4);
  std::memcpy(&scale1, &bytes[516], 4);
  EXPECT_FLOAT_EQ(scale0, 0.5f / 448.0f);
  EXPECT_FLOAT_EQ(scale1, 2.0f / 448.0f);
  EXPECT_EQ(bytes[0], 0x7e);    // 0.5 / scale0 = 448
  EXPECT_EQ(bytes[130], 0xfe);  // -2 / scale1 = -448
  std::uint16_t rope0 = 0;
  std::memcpy(&rope0, &bytes[528], 2);
  EXPECT_EQ(rope0, ToBf16(7.0f).bits);
}

TEST(IndexerKeyCodec, BytesEqualTheCostModel) {
  int checked = 0;
  for (const char* name : kPresets) {
    const auto arch = Preset(name);
    if (arch.indexer.head_dim == 0) continue;
    for (IndexerKeyFormat format : kIndexerFormats) {
      EXPECT_EQ(IndexerKeyCodec(arch.indexer.head_dim, format).bytes(),
                models::IndexerKeyBytes(arch, format))
          << name << " " << models::ToString(format);
      ++checked;
    }
  }
  EXPECT_GE(checked, 6);
  EXPECT_THROW(IndexerKeyCodec(0, IndexerKeyFormat::kFp8), Error);
}

TEST(IndexerKeyCodec, RoundTripWithinPrecision) {
  for (std::int64_t dim : {128, 100, 33}) {
    for (IndexerKeyFormat format : kIndexerFormats) {
      SCOPED_TRACE(fmt::format("dim {} {}", dim, models::ToString(format)));
      const IndexerKeyCodec codec(dim, format);
      const std::vector<float> v = Values(dim, static_cast<std::uint32_t>(dim));
      std::vector<std::uint8_t> bytes(static_cast<std::size_t>(codec.bytes()), 0xcd);
      codec.Encode(v.data(), bytes.data());
      std::vector<float> back(v.size());
      codec.Decode(bytes.data(), back.data());
      for (std::size_t i = 0; i < v.size(); ++i) {
        double bound = Bf16Bound(v[i]);
        if (format == IndexerKeyFormat::kFp8) {
          const std::size_t begin = i / 128 * 128;
          bound = Fp8Bound(v[i], MaxAbs(v, begin, begin + 128) / 448.0f);
        } else if (format == IndexerKeyFormat::kFp4) {
          // e2m1 steps are 0.5, 1, 2 at magnitudes <2, <4, <=6: half a step is at most a quarter
          // of |v| or 0.25 units; the scale is at most amax/3 (the power of two above amax/6).
          const std::size_t begin = i / 32 * 32;
          const double scale = MaxAbs(v, begin, begin + 32) / 3.0;
          bound = 0.25 * std::fabs(v[i]) + 0.25 * scale;
        }
        ASSERT_LE(std::fabs(back[i] - v[i]), bound) << i << " " << v[i] << " -> " << back[i];
      }
    }
  }
}

TEST(IndexerKeyCodec, Mxfp4Layout) {
  // 64 bytes of e2m1 pairs (element 2i low nibble) then 4 e8m0 scales.
  const IndexerKeyCodec codec(128, IndexerKeyFormat::kFp4);
  ASSERT_EQ(codec.bytes(), 68);
  std::vector<float> v(128, 0.0f);
  v[0] = 6.0f;   // amax 6: scale 2^0, exponent 127
  v[1] = -1.5f;  // code 0xb
  v[2] = 0.75f;  // tie between 0.5 and 1: even code (1.0 = 0x2)
  v[32] = 0.1f;  // group 1: scale 2^-5 (0.1 / 2^-5 = 3.2 <= 6) -> 3.0 = code 0x5
  std::vector<std::uint8_t> bytes(68, 0xcd);
  codec.Encode(v.data(), bytes.data());
  EXPECT_EQ(bytes[0], 0xb7);
  EXPECT_EQ(bytes[1], 0x02);
  EXPECT_EQ(bytes[16], 0x05);
  EXPECT_EQ(bytes[64], 127);
  EXPECT_EQ(bytes[65], 122);
  std::vector<float> back(128);
  codec.Decode(bytes.data(), back.data());
  EXPECT_EQ(back[0], 6.0f);
  EXPECT_EQ(back[1], -1.5f);
  EXPECT_EQ(back[2], 1.0f);
  EXPECT_FLOAT_EQ(back[32], 3.0f / 32.0f);
}

}  // namespace
}  // namespace infermeter::engines::reference
