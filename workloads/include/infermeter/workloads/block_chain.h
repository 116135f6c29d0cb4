#pragma once
// Builds block hash ids for a growing token stream (a conversation's history) described as
// segments of known content, for importers and generators that have no hash ids of their own.
//
// A block's id is a hash of its parent block's id and of the pieces of segments it holds (segment
// key, offset in the segment, length), so equal ids mean equal content after an equal prefix:
// the history shared by the turns of a session, a system prompt shared by every session, and
// branches of a parallel fan-out all share exactly the blocks they really share. A partial last
// block gets the id of its partial content; once later turns fill it, it is a different block.
// That matches engines, which cache full blocks only.

#include <cstdint>
#include <vector>

#include "infermeter/workloads/trace.h"

namespace infermeter::workloads {

// A value type: copy it to fork a stream (parallel branches). Not synchronized.
class BlockChain {
 public:
  explicit BlockChain(std::int64_t block_size_tokens);

  // Appends `tokens` tokens of the segment with content key `segment_key` (equal keys must mean
  // equal content, e.g. a hash of the text or of a generator's "shared system prompt").
  void Append(std::uint64_t segment_key, std::int64_t tokens);
  std::int64_t tokens() const { return tokens_; }
  // Ids of the full blocks, then of the partial last block if there is one.
  std::vector<BlockHashId> HashIds() const;

 private:
  std::int64_t block_size_tokens_;
  std::int64_t tokens_ = 0;
  std::vector<BlockHashId> full_ids_;
  std::uint64_t partial_state_;  // hash of the parent id and the pieces in the partial block
};

}  // namespace infermeter::workloads
