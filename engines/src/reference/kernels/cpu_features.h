#pragma once
// Which vector instruction set the kernels use, decided once at run time so that one binary
// runs on CPUs with and without AVX-512. Tests and benchmarks may lower the level to exercise
// the fallbacks on a machine that has the fast paths.

namespace infermeter::engines::reference {

enum class KernelIsa {
  kScalar,      // portable C++ (what GCC makes of it at the baseline target)
  kAvx512,      // AVX-512 F + BW + VL
  kAvx512Bf16,  // the above plus AVX512_BF16 (VDPBF16PS)
};

// What this CPU supports.
KernelIsa DetectedKernelIsa();
// What the kernels use now: the detected level, or lower after LimitKernelIsa.
KernelIsa ActiveKernelIsa();
// Caps the level (never raises it above what the CPU has). Not for use while kernels run on
// other threads.
void LimitKernelIsa(KernelIsa max);

inline bool CpuHasAvx512() { return ActiveKernelIsa() >= KernelIsa::kAvx512; }
inline bool CpuHasAvx512Bf16() { return ActiveKernelIsa() >= KernelIsa::kAvx512Bf16; }

const char* ToString(KernelIsa isa);

}  // namespace infermeter::engines::reference
