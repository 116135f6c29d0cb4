#pragma once
// What the JSON of one streaming chunk said, as the chunk decoder's two readers fill it: the
// allocation-free scanner (chunk_scan.cpp) for the shapes servers send, and nlohmann::json
// (chunk_decoder.cpp) for everything else. Private to the OpenAI client.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/core/engine.h"
#include "openai/chunk_decoder.h"

namespace infermeter::engines::openai {

namespace detail {

// A JSON string as it stands between its quotes in the data; `escaped` when it holds backslash
// escapes still to be undone. The nlohmann path stores unescaped copies (escaped = false).
struct JsonText {
  std::string_view raw;
  bool escaped = false;
};

struct ChunkFields {
  std::int64_t choice_count = 0;  // elements of `choices` (0 when absent or null)
  std::int64_t choice_index = 0;
  JsonText text;
  JsonText content;
  JsonText reasoning;
  JsonText reasoning_content;
  JsonText refusal;
  JsonText finish_reason;
  std::int64_t tool_call_bytes = 0;
  bool has_token_ids = false;  // choices[0].token_ids was an array; its ids are in token_ids_
  std::optional<ChunkUsage> usage;
  std::optional<std::int64_t> prompt_token_count;         // top-level prompt_token_ids (chat)
  std::optional<std::int64_t> choice_prompt_token_count;  // choices[0].prompt_token_ids
};

}  // namespace detail

namespace detail {

// The scanner: true when `data` is a chunk of a shape it knows, with `fields` (and `token_ids`,
// the ids of choices[0].token_ids) filled; false when it is not sure, and the caller asks
// nlohmann, whose answer is authoritative.
bool ScanChunk(std::string_view data, ChunkFields& fields, std::vector<TokenId>& token_ids);

// Undoes the JSON escapes of a string's raw text (between its quotes) into `out`.
void Unescape(std::string_view raw, std::string& out);

bool IsJsonWhitespace(char c);

}  // namespace detail

}  // namespace infermeter::engines::openai
