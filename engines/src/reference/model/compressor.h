#pragma once
// V4's KV compressors: every `ratio` tokens become one cache entry, a per-channel
// softmax(gate + learned position bias)-weighted sum of the tokens' kv projections, then
// RMSNorm and RoPE at the block's first position. CSA (ratio 4) pools 2 * ratio tokens: its
// projections have two halves, the first feeding the next entry, the second the current one
// (DeepSeek's overlap transform). HCA (ratio 128) pools its own block only.
//
// The pooling is an online softmax per channel (running max, running sum, weighted value) kept
// in the sequence's compressor state (kv_layout.h documents the layout), so a block may be
// split over any number of steps and gives the same entry as in one step.

#include <cstdint>

#include "model/forward_context.h"

namespace infermeter::engines::reference {

enum class CompressorRole : std::uint8_t {
  kMainKv,  // the layer's compressed entries (EntryCodec, CompressedEntry), OpClass::kCompressor
  kIndexerKey,  // the CSA indexer's keys (IndexerKeyCodec, IndexerKey), OpClass::kIndexer
};

// Projects the step's rows (x: rows x hidden), folds every row into its sequence's running
// state in position order, and writes each entry completed in this step. Writes the carry
// snapshot at every block end the step crosses. Counts the projections and, per entry, the
// pooling (2 * window * head_dim, window = tokens pooled) FLOPs.
void RunCompressor(LayerContext& c, const CompressorWeights& w, const float* x,
                   CompressorRole role);

}  // namespace infermeter::engines::reference
