// LoadSafetensorsWeights and WriteSafetensors: TensorSpecs(arch) against safetensors files.
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "infermeter/core/error.h"
#include "model/safetensors.h"
#include "model/weight_tensor.h"
#include "model/weights.h"

namespace infermeter::engines::reference {
namespace {

[[noreturn]] void Fail(const std::string& source, const std::string& tensor,
                       const std::string& problem) {
  throw InputError({.source = source, .field = tensor}, problem);
}

std::string ShapeText(const std::vector<std::int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

WeightTensor ReadTensor(const TensorSpec& spec, SafetensorsReader& file,
                        const SafetensorsTensor& info, std::int64_t experts) {
  const std::string source = file.path().string();
  if (info.shape != spec.shape) {
    Fail(source, spec.name,
         fmt::format("expected shape {}, got {}", ShapeText(spec.shape), ShapeText(info.shape)));
  }
  const auto n = static_cast<std::size_t>(spec.Elements());
  if (spec.storage == TensorStorage::kI32) {
    std::vector<std::int32_t> indices(n);
    if (info.dtype == "I32") {
      file.Read(spec.name, info, indices.data());
    } else if (info.dtype == "I64") {
      std::vector<std::int64_t> wide(n);
      file.Read(spec.name, info, wide.data());
      for (std::size_t i = 0; i < n; ++i) indices[i] = static_cast<std::int32_t>(wide[i]);
    } else {
      Fail(source, spec.name, fmt::format("expected dtype I32 or I64, got {}", info.dtype));
    }
    for (const std::int32_t e : indices) {
      if (e < 0 || e >= experts) {
        Fail(source, spec.name, fmt::format("expert id {} outside [0, {})", e, experts));
      }
    }
    WeightTensor t;
    t.shape = spec.shape;
    t.indices = std::move(indices);
    return t;
  }
  if (info.dtype != "BF16" && info.dtype != "F32") {
    Fail(source, spec.name, fmt::format("expected dtype BF16 or F32, got {}", info.dtype));
  }
  if (spec.storage == TensorStorage::kBf16Matrix) {
    std::vector<Bf16> values(n);
    if (info.dtype == "BF16") {
      file.Read(spec.name, info, values.data());
    } else {
      std::vector<float> wide(n);
      file.Read(spec.name, info, wide.data());
      ConvertToBf16(wide.data(), values.data(), n);
    }
    return MakeMatrixTensor(spec, std::move(values));
  }
  WeightTensor t;
  t.shape = spec.shape;
  t.values.resize(n);
  if (info.dtype == "F32") {
    file.Read(spec.name, info, t.values.data());
  } else {
    std::vector<Bf16> narrow(n);
    file.Read(spec.name, info, narrow.data());
    ConvertToFloat(narrow.data(), t.values.data(), n);
  }
  return t;
}

}  // namespace

ModelWeights LoadSafetensorsWeights(const models::Architecture& arch,
                                    const std::vector<std::filesystem::path>& files) {
  if (files.empty()) throw Error("LoadSafetensorsWeights: no files given");
  std::vector<std::unique_ptr<SafetensorsReader>> readers;
  std::vector<std::string> names;
  for (const auto& path : files) {
    readers.push_back(std::make_unique<SafetensorsReader>(path));
    names.push_back(path.string());
  }
  ModelWeights weights(arch);
  for (const TensorSpec& spec : TensorSpecs(arch)) {
    SafetensorsReader* holder = nullptr;
    const SafetensorsTensor* info = nullptr;
    for (auto& reader : readers) {
      info = reader->Find(spec.name);
      if (info != nullptr) {
        holder = reader.get();
        break;
      }
    }
    if (info == nullptr) {
      Fail(fmt::format("{}", fmt::join(names, ", ")), spec.name,
           fmt::format("missing tensor (architecture '{}' needs shape {})", arch.name,
                       ShapeText(spec.shape)));
    }
    weights.Set(spec.name, ReadTensor(spec, *holder, *info, arch.moe.num_routed_experts));
  }
  return weights;
}

void WriteSafetensors(const ModelWeights& weights, const std::filesystem::path& path) {
  std::vector<SafetensorsWriteEntry> entries;
  for (const TensorSpec& spec : TensorSpecs(weights.arch())) {
    const WeightTensor& t = weights.Get(spec.name);
    SafetensorsWriteEntry e{spec.name, "", spec.shape, {}, {}};
    switch (spec.storage) {
      case TensorStorage::kBf16Matrix:
        e.dtype = "BF16";
        for (const Bf16Matrix& m : t.matrices) {
          e.parts.push_back(m.data());
          e.part_bytes.push_back(m.bytes());
        }
        break;
      case TensorStorage::kF32:
        e.dtype = "F32";
        e.parts.push_back(t.values.data());
        e.part_bytes.push_back(static_cast<std::int64_t>(t.values.size() * sizeof(float)));
        break;
      case TensorStorage::kI32:
        e.dtype = "I32";
        e.parts.push_back(t.indices.data());
        e.part_bytes.push_back(static_cast<std::int64_t>(t.indices.size() * sizeof(std::int32_t)));
        break;
    }
    entries.push_back(std::move(e));
  }
  WriteSafetensorsFile(path, entries);
}

}  // namespace infermeter::engines::reference
