#pragma once
// The weights of one model: every tensor of an architecture under its checkpoint name, made
// up at random (seeded) or read from safetensors files. Which tensors an architecture has, with
// their names and shapes, is decided in one place (TensorSpecs, tensor_specs.cpp) and used by
// the random initialiser, the loader, the writer and WeightBytes, so the four cannot disagree.
// model/README.md lists the names.
//
// Storage: weight matrices (everything a MatMul multiplies with) are BF16 Bf16Matrix objects;
// norms, biases, attention sinks, compressor position biases and the mHC base/scale vectors are
// fp32; the V4 hash-routing table tid2eid is int32.

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/models/architecture.h"
#include "kernels/gemm.h"

namespace infermeter::engines::reference {

enum class TensorStorage : std::uint8_t {
  kBf16Matrix,  // 2-D [rows = outputs, cols = inputs] (PyTorch nn.Linear layout), BF16
  kF32,         // fp32 values of any shape
  kI32,         // int32 values (tid2eid)
};

// How MakeRandomWeights fills a tensor.
enum class TensorInit : std::uint8_t {
  kNormal,       // N(0, 1)-like values times `scale` (scale = 1/sqrt(fan_in) for matrices)
  kConstant,     // every value = `scale`
  kExpertTable,  // tid2eid: per row, experts_per_token distinct experts in [0, E)
};

struct TensorSpec {
  std::string name;
  std::vector<std::int64_t> shape;  // as stored in a checkpoint
  TensorStorage storage = TensorStorage::kF32;
  // kBf16Matrix: the rows are split into this many equal matrices, one per MatMul (V4's
  // grouped output projection wo_a). 1 otherwise.
  std::int64_t row_groups = 1;
  TensorInit init = TensorInit::kNormal;
  double scale = 1.0;

  std::int64_t Elements() const;
};

// Every tensor `arch` needs, in a fixed order (embedding, layers in order, final norm, head).
std::vector<TensorSpec> TensorSpecs(const models::Architecture& arch);

struct WeightTensor {
  std::vector<std::int64_t> shape;
  std::vector<Bf16Matrix> matrices;   // kBf16Matrix: row_groups matrices
  std::vector<float> values;          // kF32
  std::vector<std::int32_t> indices;  // kI32
};

class ModelWeights {
 public:
  ModelWeights() = default;
  explicit ModelWeights(models::Architecture arch) : arch_(std::move(arch)) {}
  ModelWeights(ModelWeights&&) noexcept = default;
  ModelWeights& operator=(ModelWeights&&) noexcept = default;

  const models::Architecture& arch() const { return arch_; }

  void Set(std::string name, WeightTensor tensor);
  // nullptr when absent.
  const WeightTensor* Find(std::string_view name) const;
  // Throw infermeter::Error naming the tensor when it is absent or of the wrong storage.
  const WeightTensor& Get(std::string_view name) const;
  const Bf16Matrix& Matrix(std::string_view name, std::size_t group = 0) const;
  std::span<const float> Values(std::string_view name) const;
  std::span<const std::int32_t> Indices(std::string_view name) const;

  std::size_t size() const { return tensors_.size(); }
  const std::map<std::string, WeightTensor, std::less<>>& tensors() const { return tensors_; }

 private:
  models::Architecture arch_;
  // A node-based map: Model keeps pointers to tensors, which stay valid when the map moves.
  std::map<std::string, WeightTensor, std::less<>> tensors_;
};

// Deterministic random weights: each tensor's values come from a counter-based generator keyed
// by (seed, tensor name) and the element index, so the same seed gives bit-identical weights
// whatever the thread count. Matrices ~ N(0,1)/sqrt(fan_in) so activations stay O(1); norm
// weights 1.
ModelWeights MakeRandomWeights(const models::Architecture& arch, std::uint64_t seed);

// Reads every tensor of TensorSpecs(arch) from `files` (safetensors; BF16 or F32 for float
// tensors, I32 or I64 for tid2eid). Tensors the architecture does not use are ignored. Throws
// infermeter::InputError naming the file and tensor for a missing tensor, a wrong shape or
// dtype, a bad header or a truncated file.
ModelWeights LoadSafetensorsWeights(const models::Architecture& arch,
                                    const std::vector<std::filesystem::path>& files);

// Writes every tensor of `weights` to one safetensors file: matrices BF16, fp32 tensors F32,
// tid2eid I32. Throws infermeter::Error when the file cannot be written.
void WriteSafetensors(const ModelWeights& weights, const std::filesystem::path& path);

// Bytes the weights take at 2 bytes per parameter (every matrix and fp32 vector of
// TensorSpecs(arch); tid2eid excluded: integers, not weights).
std::int64_t WeightBytes(const models::Architecture& arch);

}  // namespace infermeter::engines::reference
