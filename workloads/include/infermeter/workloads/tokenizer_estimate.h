#pragma once
// Token counts for text when no real tokenizer is available (importers of text formats). The
// method used is recorded in Trace::token_count_method and printed by `trace inspect`.

#include <cstdint>
#include <string>
#include <string_view>

namespace infermeter::workloads {

enum class TokenEstimator {
  // "wordpiece-estimate-v1": splits text into runs of letters (bytes >= 0x80 count as letters),
  // digits, whitespace and other characters. A letter run of n bytes is 1 + (n-1)/8 tokens; a
  // digit run ceil(n/3) tokens (GPT-4-style tokenizers split numbers into groups of 3); a single
  // space before a letter or digit run is free (merged into the word); any other whitespace run
  // is 1 token; a run of n other characters is ceil(n/2) tokens.
  kWordPiece,
  // "bytes-div-4-v1": ceil(UTF-8 bytes / 4), the usual rule of thumb for English.
  kBytes,
};

std::int64_t EstimateTokens(std::string_view text, TokenEstimator estimator);
// The name stored in traces and printed ("wordpiece-estimate-v1", "bytes-div-4-v1").
std::string EstimatorName(TokenEstimator estimator);
// Parses "wordpiece" or "bytes"; throws InputError naming `option` otherwise.
TokenEstimator ParseEstimator(const std::string& text, const std::string& option);

}  // namespace infermeter::workloads
