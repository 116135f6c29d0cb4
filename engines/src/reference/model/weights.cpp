#include "model/weights.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "model/weight_tensor.h"

namespace infermeter::engines::reference {
namespace {

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

// SplitMix64's output function: a bijective mix of 64 bits.
std::uint64_t Mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// fn(begin, end) over [0, n) split across the cores with plain threads, not OpenMP: weights are
// generated on the caller's thread (the CLI's main thread), and an OpenMP team left there keeps
// its idle worker counted by libgomp, which then sees more threads than cores and makes the
// engine's own team sleep on a futex at every parallel region instead of spinning (decode steps
// ran 2x slower). Each element depends only on its index, so the split changes no value.
template <class Fn>
void ParallelRanges(std::int64_t n, Fn fn) {
  constexpr std::int64_t kMinPerThread = std::int64_t{1} << 16;
  const std::int64_t threads = std::clamp<std::int64_t>(
      n / kMinPerThread, 1, std::max<unsigned>(1, std::thread::hardware_concurrency()));
  if (threads == 1) {
    fn(std::int64_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  for (std::int64_t t = 1; t < threads; ++t) {
    pool.emplace_back(fn, n * t / threads, n * (t + 1) / threads);
  }
  fn(std::int64_t{0}, n / threads);
  for (auto& th : pool) th.join();
}

// The generator key of one tensor: FNV-1a of its name, mixed with the seed.
std::uint64_t TensorKey(std::uint64_t seed, const std::string& name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return Mix(seed ^ Mix(h + kGolden));
}

// Element i of the counter-based stream `key`: the sum of four 16-bit uniforms, centred and
// scaled to unit variance (Irwin-Hall: close to N(0, 1), bounded at +-3.46, and several times
// cheaper than Box-Muller for the 10^8 values of a preset).
float NormalLike(std::uint64_t key, std::uint64_t i) {
  const std::uint64_t z = Mix(key + (i + 1) * kGolden);
  const double sum = static_cast<double>(z & 0xffff) + static_cast<double>((z >> 16) & 0xffff) +
                     static_cast<double>((z >> 32) & 0xffff) + static_cast<double>(z >> 48);
  constexpr double kSqrt3 = 1.7320508075688772;
  return static_cast<float>((sum / 65536.0 - 2.0) * kSqrt3);
}

WeightTensor RandomTensor(const TensorSpec& spec, const models::Architecture& arch,
                          std::uint64_t seed) {
  const std::uint64_t key = TensorKey(seed, spec.name);
  const std::int64_t n = spec.Elements();
  switch (spec.storage) {
    case TensorStorage::kBf16Matrix: {
      std::vector<Bf16> values(static_cast<std::size_t>(n));
      const float scale = static_cast<float>(spec.scale);
      ParallelRanges(n, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
          values[static_cast<std::size_t>(i)] =
              ToBf16(NormalLike(key, static_cast<std::uint64_t>(i)) * scale);
        }
      });
      return MakeMatrixTensor(spec, std::move(values));
    }
    case TensorStorage::kF32: {
      std::vector<float> values(static_cast<std::size_t>(n));
      if (spec.init == TensorInit::kConstant) {
        values.assign(values.size(), static_cast<float>(spec.scale));
      } else {
        const float scale = static_cast<float>(spec.scale);
        ParallelRanges(n, [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t i = begin; i < end; ++i) {
            values[static_cast<std::size_t>(i)] =
                NormalLike(key, static_cast<std::uint64_t>(i)) * scale;
          }
        });
      }
      WeightTensor t;
      t.shape = spec.shape;
      t.values = std::move(values);
      return t;
    }
    case TensorStorage::kI32: {
      // tid2eid: each token id gets experts_per_token distinct experts.
      const std::int64_t rows = spec.shape[0];
      const std::int64_t k = spec.shape[1];
      const std::int64_t experts = arch.moe.num_routed_experts;
      std::vector<std::int32_t> table(static_cast<std::size_t>(n));
      // Serial: vocab x top-k entries are few (and no OpenMP team on this thread, as above).
      for (std::int64_t r = 0; r < rows; ++r) {
        std::int32_t* row = table.data() + r * k;
        for (std::int64_t j = 0; j < k; ++j) {
          auto e = static_cast<std::int64_t>(
              Mix(key + static_cast<std::uint64_t>(r * k + j + 1) * kGolden) %
              static_cast<std::uint64_t>(experts));
          // Probe upwards past experts this row already has (k <= experts, so this ends).
          for (bool taken = true; taken;) {
            taken = false;
            for (std::int64_t prev = 0; prev < j; ++prev) {
              if (row[prev] == e) {
                taken = true;
                e = (e + 1) % experts;
                break;
              }
            }
          }
          row[j] = static_cast<std::int32_t>(e);
        }
      }
      WeightTensor t;
      t.shape = spec.shape;
      t.indices = std::move(table);
      return t;
    }
  }
  throw Error(fmt::format("tensor '{}': unknown storage", spec.name));
}

}  // namespace

WeightTensor MakeMatrixTensor(const TensorSpec& spec, std::vector<Bf16> values) {
  WeightTensor t;
  t.shape = spec.shape;
  const std::int64_t rows = spec.shape[0];
  const std::int64_t cols = spec.shape[1];
  const std::int64_t groups = spec.row_groups;
  if (groups == 1) {
    t.matrices.emplace_back(rows, cols, std::move(values));
    return t;
  }
  const std::int64_t group_rows = rows / groups;
  for (std::int64_t g = 0; g < groups; ++g) {
    const auto begin = values.begin() + g * group_rows * cols;
    t.matrices.emplace_back(group_rows, cols, std::vector<Bf16>(begin, begin + group_rows * cols));
  }
  return t;
}

void ModelWeights::Set(std::string name, WeightTensor tensor) {
  tensors_.insert_or_assign(std::move(name), std::move(tensor));
}

const WeightTensor* ModelWeights::Find(std::string_view name) const {
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

const WeightTensor& ModelWeights::Get(std::string_view name) const {
  const WeightTensor* t = Find(name);
  if (t == nullptr) {
    throw Error(fmt::format("model weights for '{}' have no tensor '{}'", arch_.name, name));
  }
  return *t;
}

const Bf16Matrix& ModelWeights::Matrix(std::string_view name, std::size_t group) const {
  const WeightTensor& t = Get(name);
  if (group >= t.matrices.size()) {
    throw Error(fmt::format("tensor '{}' is not a matrix with {} row groups", name, group + 1));
  }
  return t.matrices[group];
}

std::span<const float> ModelWeights::Values(std::string_view name) const {
  const WeightTensor& t = Get(name);
  if (t.values.empty()) throw Error(fmt::format("tensor '{}' holds no fp32 values", name));
  return t.values;
}

std::span<const std::int32_t> ModelWeights::Indices(std::string_view name) const {
  const WeightTensor& t = Get(name);
  if (t.indices.empty()) throw Error(fmt::format("tensor '{}' holds no int32 values", name));
  return t.indices;
}

ModelWeights MakeRandomWeights(const models::Architecture& arch, std::uint64_t seed) {
  ModelWeights weights(arch);
  for (const TensorSpec& spec : TensorSpecs(arch)) {
    weights.Set(spec.name, RandomTensor(spec, arch, seed));
  }
  return weights;
}

std::int64_t WeightBytes(const models::Architecture& arch) {
  std::int64_t bytes = 0;
  for (const TensorSpec& spec : TensorSpecs(arch)) {
    if (spec.storage != TensorStorage::kI32) bytes += 2 * spec.Elements();
  }
  return bytes;
}

}  // namespace infermeter::engines::reference
