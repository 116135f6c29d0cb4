#include "infermeter/workloads/block_chain.h"

#include "infermeter/workloads/random.h"

namespace infermeter::workloads {
namespace {
constexpr std::uint64_t kRootId = 0x726f6f7400000003ULL;
}  // namespace

BlockChain::BlockChain(std::int64_t block_size_tokens)
    : block_size_tokens_(block_size_tokens), partial_state_(Mix64(kRootId)) {}

void BlockChain::Append(std::uint64_t segment_key, std::int64_t tokens) {
  std::int64_t offset = 0;
  while (offset < tokens) {
    const std::int64_t room = block_size_tokens_ - tokens_ % block_size_tokens_;
    const std::int64_t piece = std::min(room, tokens - offset);
    partial_state_ = Combine64(
        Combine64(Combine64(partial_state_, segment_key), static_cast<std::uint64_t>(offset)),
        static_cast<std::uint64_t>(piece));
    offset += piece;
    tokens_ += piece;
    if (tokens_ % block_size_tokens_ == 0) {
      const BlockHashId id = Mix64(partial_state_);
      full_ids_.push_back(id);
      partial_state_ = Combine64(id, kRootId);
    }
  }
}

std::vector<BlockHashId> BlockChain::HashIds() const {
  std::vector<BlockHashId> ids = full_ids_;
  if (tokens_ % block_size_tokens_ != 0) ids.push_back(Mix64(partial_state_));
  return ids;
}

}  // namespace infermeter::workloads
