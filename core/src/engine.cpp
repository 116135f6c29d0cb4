#include "infermeter/core/engine.h"

#include <numeric>

namespace infermeter {

std::string_view ToString(FinishReason reason) {
  switch (reason) {
    case FinishReason::kLength:
      return "length";
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kCancelled:
      return "cancelled";
  }
  return "?";
}

std::string_view ToString(OpClass op_class) {
  switch (op_class) {
    case OpClass::kDenseGemm:
      return "dense_gemm";
    case OpClass::kExpertGemm:
      return "expert_gemm";
    case OpClass::kAttention:
      return "attention";
    case OpClass::kIndexer:
      return "indexer";
    case OpClass::kCompressor:
      return "compressor";
    case OpClass::kOther:
      return "other";
  }
  return "?";
}

double EngineStats::TotalFlops() const { return std::accumulate(flops.begin(), flops.end(), 0.0); }

}  // namespace infermeter
