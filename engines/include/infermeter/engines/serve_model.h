#pragma once
// What `infermeter serve` needs to know about the model behind an engine: its served name, its
// limits and a tokenizer (text -> ids for prompts, one generated id -> text for output), plus
// what /metrics may say about the KV cache. Kept apart from the engine so that the server can
// front any engine.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infermeter/core/engine.h"

namespace infermeter::engines {

struct ServedModel {
  std::string name;                // the `model` clients must send; /v1/models lists it
  std::int64_t max_model_len = 0;  // context: prompt + output tokens
  std::int64_t vocab_size = 0;     // prompt token ids must be in [0, vocab_size)
  TokenId eos_token_id = 1;
  std::function<std::vector<TokenId>(std::string_view text)> encode;
  // The text of one generated id; it is what streams out and what non-streaming responses hold.
  std::function<std::string(TokenId id)> piece;
  // Labels of `vllm:cache_config_info` (block_size, num_gpu_blocks, ...); empty: not exported.
  std::vector<std::pair<std::string, std::string>> cache_config;
};

// The byte-level tokenizer of the reference engine: text is UTF-8 bytes, id = first_byte_id +
// byte. Output follows the token text rule (docs/SERVE.md): every generated id is exactly ONE
// printable ASCII byte, the byte itself when first_byte_id + byte is printable ASCII
// (0x20..0x7e), else 'a' + id % 26 as a stand-in (special ids such as end-of-sequence too). So
// any byte-level tokenizer counts the output text and the generated tokens alike, which is
// what peer benchmark tools that re-tokenize text need.
std::vector<TokenId> EncodeBytes(std::string_view text, TokenId first_byte_id = 3);
char ByteTokenPiece(TokenId id, TokenId first_byte_id = 3);

// A ServedModel with the byte-level tokenizer above.
ServedModel ByteLevelServedModel(std::string name, std::int64_t max_model_len,
                                 std::int64_t vocab_size, TokenId eos_token_id,
                                 TokenId first_byte_id = 3);

}  // namespace infermeter::engines
