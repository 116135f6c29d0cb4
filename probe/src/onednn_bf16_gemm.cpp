#include "onednn_bf16_gemm.h"

#include <omp.h>

#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

namespace infermeter::probe {
namespace {

using Dims = dnnl::memory::dims;
using DataType = dnnl::memory::data_type;
using Tag = dnnl::memory::format_tag;

// Deterministic values in [-1, 1) rounded to BF16: the values do not change a dense GEMM's
// time, but denormals or NaNs could.
std::vector<std::uint16_t> FilledBf16(std::int64_t count, std::uint32_t seed) {
  std::vector<std::uint16_t> out(static_cast<std::size_t>(count));
  std::uint32_t state = seed;
  for (std::uint16_t& v : out) {
    state = state * 1664525u + 1013904223u;
    const float x = static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f;
    std::uint32_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    v = static_cast<std::uint16_t>(bits >> 16);
  }
  return out;
}

}  // namespace

struct OneDnnBf16Gemm::State {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::matmul primitive;
  dnnl::memory a;
  dnnl::memory b;
  dnnl::memory c;
  std::vector<std::uint16_t> a_values;
  std::string impl;
};

OneDnnBf16Gemm::OneDnnBf16Gemm(int n) : state_(std::make_unique<State>()) {
  State& s = *state_;
  const dnnl::memory::desc a_desc(Dims{n, n}, DataType::bf16, Tag::ab);
  const dnnl::memory::desc b_any(Dims{n, n}, DataType::bf16, Tag::any);
  const dnnl::memory::desc c_desc(Dims{n, n}, DataType::f32, Tag::ab);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_desc, b_any, c_desc), s.engine);
  s.primitive = dnnl::matmul(pd);
  s.impl = pd.impl_info_str();

  s.a_values = FilledBf16(std::int64_t{n} * n, 1);
  s.a = dnnl::memory(a_desc, s.engine, s.a_values.data());
  std::vector<std::uint16_t> b_values = FilledBf16(std::int64_t{n} * n, 2);
  dnnl::memory b_plain(dnnl::memory::desc(Dims{n, n}, DataType::bf16, Tag::ab), s.engine,
                       b_values.data());
  s.b = dnnl::memory(pd.weights_desc(), s.engine);
  dnnl::reorder(b_plain, s.b).execute(s.stream, b_plain, s.b);
  s.c = dnnl::memory(c_desc, s.engine);
  s.stream.wait();
}

OneDnnBf16Gemm::OneDnnBf16Gemm(OneDnnBf16Gemm&&) noexcept = default;
OneDnnBf16Gemm& OneDnnBf16Gemm::operator=(OneDnnBf16Gemm&&) noexcept = default;
OneDnnBf16Gemm::~OneDnnBf16Gemm() = default;

void OneDnnBf16Gemm::Run() {
  State& s = *state_;
  s.primitive.execute(s.stream,
                      {{DNNL_ARG_SRC, s.a}, {DNNL_ARG_WEIGHTS, s.b}, {DNNL_ARG_DST, s.c}});
  s.stream.wait();
}

const std::string& OneDnnBf16Gemm::impl() const { return state_->impl; }

bool OneDnnBf16Gemm::IsNativeBf16(const std::string& impl) {
  // oneDNN names its kernels after the ISA they need: "avx512_core_bf16", "avx512_core_amx",
  // "avx2_vnni_2" (AVX-NE-CONVERT). A kernel for plain avx512_core or avx2 converts BF16 to
  // FP32 and runs at FP32 speed or below; "ref" is a scalar loop.
  return impl.find("bf16") != std::string::npos || impl.find("amx") != std::string::npos ||
         impl.find("vnni_2") != std::string::npos;
}

int OneDnnBf16Gemm::Threads() { return omp_get_max_threads(); }

}  // namespace infermeter::probe
