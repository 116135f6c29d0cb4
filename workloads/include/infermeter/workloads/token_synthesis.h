#pragma once
// Turns a request's description (block hash ids + tail, see trace.h) into token ids, and token
// ids into text for chat endpoints. Pure functions of their arguments: the same (seed, hash id)
// gives the same block in every request, every run and every process.

#include <cstdint>
#include <string>
#include <vector>

#include "infermeter/workloads/trace.h"

namespace infermeter::workloads {

struct TokenSettings {
  std::uint64_t seed = 0;
  // Token ids are drawn uniformly from [vocab_begin, vocab_end). The default range avoids the
  // low ids where tokenizers keep special and byte tokens, and fits every tokenizer with at least
  // 32,000 entries (Llama 2 and later, DeepSeek, GPT-4's cl100k).
  std::int32_t vocab_begin = 1000;
  std::int32_t vocab_end = 32000;
};

// Identifies a request for its unique tail: hashes the session id and the turn index.
std::uint64_t RequestKey(const std::string& session_id, std::int32_t turn);

// Stateless apart from its settings; safe to share between threads.
class TokenSynthesizer {
 public:
  // REQUIRES: vocab_begin < vocab_end, block_size_tokens > 0.
  TokenSynthesizer(TokenSettings settings, std::int64_t block_size_tokens);

  // Appends the first `count` (<= block size) tokens of block `id` to `out`.
  void AppendBlock(BlockHashId id, std::int64_t count, std::vector<std::int32_t>& out) const;
  // Appends `count` tail tokens for the request identified by `request_key`.
  void AppendTail(std::uint64_t request_key, std::int64_t count,
                  std::vector<std::int32_t>& out) const;
  // The whole input: exactly request.input_tokens tokens (the last block cut where the input
  // ends, or followed by the unique tail; see Request).
  std::vector<std::int32_t> Synthesize(const Request& request, std::uint64_t request_key) const;

 private:
  std::int32_t TokenAt(std::uint64_t stream_key, std::int64_t index) const;

  TokenSettings settings_;
  std::int64_t block_size_tokens_;
};

// Text for chat endpoints: one lowercase English word per token id (chosen from a fixed list of
// 256 common words of at most 6 letters), separated by single spaces. Deterministic; equal token
// ids give equal words, so shared blocks give shared text prefixes. See docs/WORKLOADS.md for
// how far tokenizer counts of this text drift from the token count.
std::string RenderText(const std::vector<std::int32_t>& tokens);

}  // namespace infermeter::workloads
