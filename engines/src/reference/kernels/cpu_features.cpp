#include "kernels/cpu_features.h"

#include <algorithm>
#include <atomic>

namespace infermeter::engines::reference {
namespace {

KernelIsa Detect() {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl");
  if (!avx512) return KernelIsa::kScalar;
  return __builtin_cpu_supports("avx512bf16") ? KernelIsa::kAvx512Bf16 : KernelIsa::kAvx512;
}

std::atomic<KernelIsa>& Active() {
  static std::atomic<KernelIsa> active{DetectedKernelIsa()};
  return active;
}

}  // namespace

KernelIsa DetectedKernelIsa() {
  static const KernelIsa detected = Detect();
  return detected;
}

KernelIsa ActiveKernelIsa() { return Active().load(std::memory_order_relaxed); }

void LimitKernelIsa(KernelIsa max) {
  Active().store(std::min(max, DetectedKernelIsa()), std::memory_order_relaxed);
}

const char* ToString(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kScalar:
      return "scalar";
    case KernelIsa::kAvx512:
      return "avx512";
    case KernelIsa::kAvx512Bf16:
      return "avx512_bf16";
  }
  return "?";
}

}  // namespace infermeter::engines::reference
