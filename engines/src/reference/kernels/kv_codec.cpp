#include "kernels/kv_codec.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "kernels/bf16.h"
#include "kernels/cpu_features.h"
#include "kernels/kv_decode_simd.h"

namespace infermeter::engines::reference {
namespace {

constexpr float kFp8Max = 448.0f;  // e4m3 (OCP "FN"): S.1111.110
constexpr std::uint8_t kFp8MaxCode = 0x7e;
constexpr std::uint8_t kFp8NanCode = 0x7f;
constexpr std::uint32_t kFp8MaxBits = 0x43e00000u;        // 448.0f
constexpr std::uint32_t kFp8MinNormalBits = 0x3c800000u;  // 2^-6, e4m3's smallest normal
constexpr float kFp4Max = 6.0f;
// Block sizes of the scaled formats.
constexpr std::int64_t kFlashMlaGroup = 128;  // fp32 scale per 128 latent elements
constexpr std::int64_t kV4Group = 64;         // ue8m0 scale byte per 64 NoPE elements
constexpr std::int64_t kIndexerFp8Group = 128;
constexpr std::int64_t kMxfp4Group = 32;
constexpr int kE8m0Bias = 127;

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

std::array<float, 256> Fp8Table() {
  std::array<float, 256> table{};
  for (int code = 0; code < 256; ++code) {
    const int exponent = (code >> 3) & 0xf;
    const int mantissa = code & 0x7;
    float magnitude = 0;
    if (exponent == 0) {
      magnitude = std::ldexp(static_cast<float>(mantissa), -9);  // subnormal: m * 2^-9
    } else if (exponent == 0xf && mantissa == 0x7) {
      magnitude = std::numeric_limits<float>::quiet_NaN();
    } else {
      magnitude = std::ldexp(1.0f + static_cast<float>(mantissa) / 8.0f, exponent - 7);
    }
    table[static_cast<std::size_t>(code)] = (code & 0x80) != 0 ? -magnitude : magnitude;
  }
  return table;
}

// The e2m1 magnitudes by code.
constexpr std::array<float, 8> kFp4Values = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};

std::uint8_t EncodeFp4E2m1(float v) {
  const std::uint8_t sign = std::signbit(v) ? 0x8 : 0x0;
  const float a = std::fabs(v);
  if (std::isnan(v)) return 0;
  // Midpoints between neighbouring codes; a tie goes to the even code (round to nearest even).
  constexpr std::array<float, 7> kMidpoints = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f};
  std::uint8_t code = 0;
  for (std::size_t i = 0; i < kMidpoints.size(); ++i) {
    const bool upper_is_even = (i + 1) % 2 == 0;
    if (a > kMidpoints[i] || (upper_is_even && a == kMidpoints[i]))
      code = static_cast<std::uint8_t>(i + 1);
  }
  return sign | code;
}

float DecodeFp4E2m1(std::uint8_t code) {
  const float magnitude = kFp4Values[code & 0x7];
  return (code & 0x8) != 0 ? -magnitude : magnitude;
}

float MaxAbs(const float* v, std::int64_t n) {
  float amax = 0;
  for (std::int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(v[i]));
  return amax;
}

// The e8m0 exponent of the smallest power of two s with amax / s <= limit, so that no element
// saturates (1.0 for an all-zero block).
std::uint8_t PowerOfTwoScale(float amax, float limit) {
  if (!(amax > 0) || !std::isfinite(amax)) return kE8m0Bias;
  const int exponent = static_cast<int>(std::ceil(std::log2(static_cast<double>(amax) / limit)));
  return static_cast<std::uint8_t>(std::clamp(exponent + kE8m0Bias, 0, 254));
}

// 2^(e - 127) built from its bits (ldexp per element was the decoders' hot spot): e > 0 is the
// exponent field itself (255 gives infinity, as ldexp's overflow does), e == 0 the subnormal
// 2^-127.
float E8m0ToFloat(std::uint8_t e) {
  const std::uint32_t bits = e == 0 ? 0x00400000u : static_cast<std::uint32_t>(e) << 23;
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

void StoreFloat(float v, std::uint8_t* out) { std::memcpy(out, &v, sizeof v); }
float LoadFloat(const std::uint8_t* in) {
  float v;
  std::memcpy(&v, in, sizeof v);
  return v;
}

void EncodeBf16(const float* v, std::int64_t n, std::uint8_t* out) {
  for (std::int64_t i = 0; i < n; ++i) {
    const Bf16 b = ToBf16(v[i]);
    std::memcpy(out + 2 * i, &b.bits, 2);
  }
}

void DecodeBf16(const std::uint8_t* in, std::int64_t n, float* v) {
  if (CpuHasAvx512()) {
    DecodeBf16Avx512(in, n, v);
    return;
  }
  for (std::int64_t i = 0; i < n; ++i) {
    Bf16 b;
    std::memcpy(&b.bits, in + 2 * i, 2);
    v[i] = ToFloat(b);
  }
}

void EncodeFp8Scaled(const float* v, std::int64_t n, float inverse_scale, std::uint8_t* out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = EncodeFp8E4m3(v[i] * inverse_scale);
}

void DecodeFp8Scaled(const std::uint8_t* in, std::int64_t n, float scale, float* v) {
  if (CpuHasAvx512()) {
    DecodeFp8Avx512(in, n, scale, v);
    return;
  }
  for (std::int64_t i = 0; i < n; ++i) v[i] = DecodeFp8E4m3(in[i]) * scale;
}

// FP8 with one fp32 scale = amax / 448 per `group` elements: n FP8 bytes at `values`, the
// scales at `scales` (FlashMLA's latent and DSA's FP8 indexer keys).
void EncodeFp8Fp32Scales(const float* v, std::int64_t n, std::int64_t group, std::uint8_t* values,
                         std::uint8_t* scales) {
  for (std::int64_t g = 0; g * group < n; ++g) {
    const std::int64_t begin = g * group;
    const std::int64_t count = std::min(group, n - begin);
    const float amax = MaxAbs(v + begin, count);
    const float scale = amax > 0 && std::isfinite(amax) ? amax / kFp8Max : 1.0f;
    StoreFloat(scale, scales + 4 * g);
    EncodeFp8Scaled(v + begin, count, 1.0f / scale, values + begin);
  }
}

void DecodeFp8Fp32Scales(const std::uint8_t* values, const std::uint8_t* scales, std::int64_t n,
                         std::int64_t group, float* v) {
  for (std::int64_t g = 0; g * group < n; ++g) {
    const std::int64_t begin = g * group;
    DecodeFp8Scaled(values + begin, std::min(group, n - begin), LoadFloat(scales + 4 * g),
                    v + begin);
  }
}

}  // namespace

std::uint8_t EncodeFp8E4m3(float v) {
  // Bit arithmetic rather than frexp/ldexp: the cache encodes every K/V element it stores.
  std::uint32_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  const auto sign = static_cast<std::uint8_t>((bits >> 24) & 0x80);
  const std::uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return kFp8NanCode;
  if (magnitude >= kFp8MaxBits) return sign | kFp8MaxCode;  // saturate, infinities included
  if (magnitude < kFp8MinNormalBits) {
    // Subnormal e4m3: a multiple of 2^-9. Adding and removing 2^23 rounds a * 2^9 to an integer
    // in the current (nearest-even) mode; 8 comes out as the smallest normal code, as it should.
    float a = 0;
    std::memcpy(&a, &magnitude, sizeof a);
    const float steps = (a * 512.0f + 8388608.0f) - 8388608.0f;
    return sign | static_cast<std::uint8_t>(steps);
  }
  // Normal: keep 3 of the 23 mantissa bits, rounding to nearest even (a carry moves into the
  // exponent, as it should), then rebias the exponent from 127 to 7.
  const std::uint32_t rounded = magnitude + 0x7ffffu + ((magnitude >> 20) & 1u);
  const std::uint32_t code = (rounded >> 20) - ((127u - 7u) << 3);
  return sign | static_cast<std::uint8_t>(std::min<std::uint32_t>(code, kFp8MaxCode));
}

float DecodeFp8E4m3(std::uint8_t v) {
  static const std::array<float, 256> table = Fp8Table();
  return table[v];
}

EntryCodec::EntryCodec(const models::Architecture& arch, models::AttentionKind kind,
                       models::KvFormat format)
    : format_(format) {
  using models::AttentionKind;
  const std::int64_t expected_bytes = models::KvEntryBytes(arch, kind, format);  // throws
  if (kind == AttentionKind::kGqa) {
    elements_ = 2 * arch.gqa.num_kv_heads * arch.gqa.head_dim;
  } else if (kind == AttentionKind::kMla || kind == AttentionKind::kDsa) {
    elements_ = arch.mla.kv_lora_rank + arch.mla.qk_rope_head_dim;
    rope_elements_ = arch.mla.qk_rope_head_dim;
  } else {
    elements_ = arch.v4.head_dim;
    rope_elements_ = arch.v4.rope_head_dim;
  }
  const std::int64_t quantized = elements_ - rope_elements_;
  switch (format) {
    case models::KvFormat::kBf16:
      bytes_ = 2 * elements_;
      break;
    case models::KvFormat::kFp8:
      bytes_ = elements_;
      break;
    case models::KvFormat::kFlashMlaFp8:
      bytes_ = quantized + 4 * CeilDiv(quantized, kFlashMlaGroup) + 2 * rope_elements_;
      break;
    case models::KvFormat::kV4Fp8:
      bytes_ = quantized + 2 * rope_elements_ + CeilDiv(quantized, kV4Group) + 1;
      break;
  }
  if (bytes_ != expected_bytes) {
    throw Error(fmt::format("KV entry codec: layout of {} is {} bytes, the cost model says {}",
                            models::ToString(format), bytes_, expected_bytes));
  }
}

void EntryCodec::Encode(const float* values, std::uint8_t* out) const {
  const std::int64_t quantized = elements_ - rope_elements_;
  switch (format_) {
    case models::KvFormat::kBf16:
      EncodeBf16(values, elements_, out);
      return;
    case models::KvFormat::kFp8:
      EncodeFp8Scaled(values, elements_, 1.0f, out);
      return;
    case models::KvFormat::kFlashMlaFp8: {
      // latent FP8 | fp32 scale per 128 | rope BF16
      std::uint8_t* scales = out + quantized;
      EncodeFp8Fp32Scales(values, quantized, kFlashMlaGroup, out, scales);
      EncodeBf16(values + quantized, rope_elements_,
                 scales + 4 * CeilDiv(quantized, kFlashMlaGroup));
      return;
    }
    case models::KvFormat::kV4Fp8: {
      // NoPE FP8 | rope BF16 | ue8m0 scale byte per 64 NoPE | pad
      std::uint8_t* rope = out + quantized;
      std::uint8_t* scales = rope + 2 * rope_elements_;
      const std::int64_t groups = CeilDiv(quantized, kV4Group);
      for (std::int64_t g = 0; g < groups; ++g) {
        const std::int64_t begin = g * kV4Group;
        const std::int64_t count = std::min(kV4Group, quantized - begin);
        scales[g] = PowerOfTwoScale(MaxAbs(values + begin, count), kFp8Max);
        EncodeFp8Scaled(values + begin, count, 1.0f / E8m0ToFloat(scales[g]), out + begin);
      }
      EncodeBf16(values + quantized, rope_elements_, rope);
      scales[groups] = 0;
      return;
    }
  }
}

void EntryCodec::Decode(const std::uint8_t* in, float* values) const {
  const std::int64_t quantized = elements_ - rope_elements_;
  switch (format_) {
    case models::KvFormat::kBf16:
      DecodeBf16(in, elements_, values);
      return;
    case models::KvFormat::kFp8:
      DecodeFp8Scaled(in, elements_, 1.0f, values);
      return;
    case models::KvFormat::kFlashMlaFp8: {
      const std::uint8_t* scales = in + quantized;
      DecodeFp8Fp32Scales(in, scales, quantized, kFlashMlaGroup, values);
      DecodeBf16(scales + 4 * CeilDiv(quantized, kFlashMlaGroup), rope_elements_,
                 values + quantized);
      return;
    }
    case models::KvFormat::kV4Fp8: {
      const std::uint8_t* rope = in + quantized;
      const std::uint8_t* scales = rope + 2 * rope_elements_;
      for (std::int64_t g = 0; g * kV4Group < quantized; ++g) {
        const std::int64_t begin = g * kV4Group;
        DecodeFp8Scaled(in + begin, std::min(kV4Group, quantized - begin), E8m0ToFloat(scales[g]),
                        values + begin);
      }
      DecodeBf16(rope, rope_elements_, values + quantized);
      return;
    }
  }
}

IndexerKeyCodec::IndexerKeyCodec(std::int64_t head_dim, models::IndexerKeyFormat format)
    : format_(format), head_dim_(head_dim) {
  if (head_dim <= 0) {
    throw Error(fmt::format("indexer key codec: head_dim must be positive, got {}", head_dim));
  }
  switch (format) {
    case models::IndexerKeyFormat::kBf16:
      bytes_ = 2 * head_dim;
      break;
    case models::IndexerKeyFormat::kFp8:
      bytes_ = head_dim + 4 * CeilDiv(head_dim, kIndexerFp8Group);
      break;
    case models::IndexerKeyFormat::kFp4:
      bytes_ = CeilDiv(head_dim, 2) + CeilDiv(head_dim, kMxfp4Group);
      break;
  }
}

void IndexerKeyCodec::Encode(const float* values, std::uint8_t* out) const {
  switch (format_) {
    case models::IndexerKeyFormat::kBf16:
      EncodeBf16(values, head_dim_, out);
      return;
    case models::IndexerKeyFormat::kFp8:
      // FP8 values | fp32 scale per 128
      EncodeFp8Fp32Scales(values, head_dim_, kIndexerFp8Group, out, out + head_dim_);
      return;
    case models::IndexerKeyFormat::kFp4: {
      // e2m1 pairs (element 2i in the low nibble, 2i+1 in the high) | e8m0 scale per 32
      std::uint8_t* scales = out + CeilDiv(head_dim_, 2);
      std::fill_n(out, CeilDiv(head_dim_, 2), std::uint8_t{0});
      for (std::int64_t g = 0; g * kMxfp4Group < head_dim_; ++g) {
        const std::int64_t begin = g * kMxfp4Group;
        const std::int64_t count = std::min(kMxfp4Group, head_dim_ - begin);
        scales[g] = PowerOfTwoScale(MaxAbs(values + begin, count), kFp4Max);
        const float inverse = 1.0f / E8m0ToFloat(scales[g]);
        for (std::int64_t i = begin; i < begin + count; ++i) {
          const std::uint8_t code = EncodeFp4E2m1(values[i] * inverse);
          out[i / 2] |= static_cast<std::uint8_t>(i % 2 == 0 ? code : code << 4);
        }
      }
      return;
    }
  }
}

void IndexerKeyCodec::Decode(const std::uint8_t* in, float* values) const {
  switch (format_) {
    case models::IndexerKeyFormat::kBf16:
      DecodeBf16(in, head_dim_, values);
      return;
    case models::IndexerKeyFormat::kFp8:
      DecodeFp8Fp32Scales(in, in + head_dim_, head_dim_, kIndexerFp8Group, values);
      return;
    case models::IndexerKeyFormat::kFp4: {
      // One scale per group and a 16-entry table of code values: the same products as
      // DecodeFp4E2m1(code) * scale per element.
      static const std::array<float, 16> table = [] {
        std::array<float, 16> t{};
        for (std::uint8_t code = 0; code < 16; ++code) t[code] = DecodeFp4E2m1(code);
        return t;
      }();
      const std::uint8_t* scales = in + CeilDiv(head_dim_, 2);
      for (std::int64_t g = 0; g * kMxfp4Group < head_dim_; ++g) {
        const float scale = E8m0ToFloat(scales[g]);
        const std::int64_t end = std::min(head_dim_, (g + 1) * kMxfp4Group);
        for (std::int64_t i = g * kMxfp4Group; i < end; ++i) {
          const std::uint8_t code = i % 2 == 0 ? in[i / 2] & 0xf : in[i / 2] >> 4;
          values[i] = table[code] * scale;
        }
      }
      return;
    }
  }
}

}  // namespace infermeter::engines::reference
