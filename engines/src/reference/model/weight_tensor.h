#pragma once
// Building WeightTensors from raw values, shared by the random initialiser and the loader.

#include <vector>

#include "model/weights.h"

namespace infermeter::engines::reference {

// A kBf16Matrix tensor from row-major values, split into spec.row_groups matrices.
WeightTensor MakeMatrixTensor(const TensorSpec& spec, std::vector<Bf16> values);

}  // namespace infermeter::engines::reference
