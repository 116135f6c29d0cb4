#pragma once
// One square BF16 GEMM through oneDNN's matmul primitive (bf16 x bf16 -> f32), the kernel the
// reference engine's prefill runs on, so the probe's BF16 peak is the ceiling that engine can
// reach. oneDNN picks its kernel for the CPU at run time: a native AVX512_BF16 or AMX kernel
// where the CPU has one, otherwise an emulation that is much slower; impl() says which.

#include <cstdint>
#include <memory>
#include <string>

namespace infermeter::probe {

class OneDnnBf16Gemm {
 public:
  // Builds the primitive and fills A and B (B already in the kernel's preferred layout, as a
  // serving engine keeps its weights).
  explicit OneDnnBf16Gemm(int n);
  OneDnnBf16Gemm(OneDnnBf16Gemm&&) noexcept;
  OneDnnBf16Gemm& operator=(OneDnnBf16Gemm&&) noexcept;
  ~OneDnnBf16Gemm();

  // C = A * B once, returning when it is done.
  void Run();
  // oneDNN's implementation name ("brg:avx512_core_bf16").
  const std::string& impl() const;
  // Whether `impl` names a kernel with native BF16 arithmetic (AVX512_BF16 or AMX) rather than
  // an emulation or a reference loop.
  static bool IsNativeBf16(const std::string& impl);
  // OpenMP threads oneDNN runs on.
  static int Threads();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace infermeter::probe
