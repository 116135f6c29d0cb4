#pragma once
// The parts of a decoder layer. Each reads the step's rows (x: rows x hidden, already normed
// where the layer norms) and writes its output rows; each counts the FLOPs it executes.

#include <cstdint>

#include "model/forward_context.h"

namespace infermeter::engines::reference {

// Attention blocks: out (rows x hidden) = attention(x). They write this layer's cache entries
// for the step's positions before reading any, so a token sees itself and the step's earlier
// tokens through the cache like every other key.
void GqaAttention(LayerContext& c, const float* x, float* out);
void MlaAttention(LayerContext& c, const float* x, float* out);  // mla and dsa layers
void V4Attention(LayerContext& c, const float* x, float* out);   // swa, csa, hca layers

// Feed-forward blocks: out = ffn(x).
void DenseFfn(LayerContext& c, const float* x, float* out);
void MoeFfn(LayerContext& c, const float* x, float* out);

// mHC around a sub-block. streams: rows x (hc_mult x hidden). MhcPre computes the sub-block's
// input x (rows x hidden) and the row's post (hc_mult) and comb (hc_mult x hc_mult) mixes;
// MhcPost folds the sub-block's output back: stream_j = post_j * out + sum_i comb_ij stream_i.
void MhcPre(LayerContext& c, const MhcWeights& w, const float* streams, float* x, float* post,
            float* comb);
void MhcPost(LayerContext& c, const float* out, const float* post, const float* comb,
             float* streams);
// The final reduction of the streams of `rows` rows to one hidden vector each (hc_head).
void MhcHead(const models::Architecture& arch, const ModelTraits& traits, const MhcWeights& w,
             const float* streams, std::int64_t rows, float* out, Workspace& ws,
             FlopsByOpClass& flops);

}  // namespace infermeter::engines::reference
