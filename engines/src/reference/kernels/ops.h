#pragma once
// Elementwise and row kernels of the forward pass. All FP32, in place where the name says so.
// None of these are counted as FLOPs (the cost model counts matmuls, attention and the V4
// compressor/mHC mixing only; docs/ENGINE.md).

#include <cstdint>

namespace infermeter::engines::reference {

float Dot(const float* a, const float* b, std::int64_t n);
// y += a * x
void Axpy(float a, const float* x, float* y, std::int64_t n);
// y *= a
void Scale(float a, float* y, std::int64_t n);

// out = x / rms(x) * weight (weight may be null: no learned scale). out may equal x.
void RmsNorm(const float* x, const float* weight, std::int64_t n, float eps, float* out);
// out = (x - mean) / std * weight + bias (DSA's indexer key LayerNorm).
void LayerNorm(const float* x, const float* weight, const float* bias, std::int64_t n, float eps,
               float* out);

// Rotary embedding on `dims` (even) values at `position`, pairs (2i, 2i+1) rotated by
// position * theta^(-2i/dims). inverse = true rotates back (V4's output de-rotation).
void ApplyRope(float* x, std::int64_t dims, std::int64_t position, double theta,
               bool inverse = false);

// In place softmax over n values; with `sink_logit` non-null an extra logit joins the
// normaliser but gets no output (V4 attention sinks). Returns nothing; x sums to <= 1.
void Softmax(float* x, std::int64_t n, const float* sink_logit = nullptr);

// gate_up holds [gate(0..n), up(0..n)]; out[i] = silu(gate[i]) * up[i]. V4 clamps with
// swiglu_limit when limit > 0.
void SwiGlu(const float* gate, const float* up, std::int64_t n, float limit, float* out);

float Sigmoid(float x);
float Softplus(float x);

}  // namespace infermeter::engines::reference
