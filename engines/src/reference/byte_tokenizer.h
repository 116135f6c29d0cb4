#pragma once
// Text prompts: the reference engine has no trained vocabulary, so text is tokenized as UTF-8
// bytes, one token per byte (id = 3 + byte; 0 = padding, 1 = end of sequence, 2 = begin).
// Token counts of text prompts are therefore byte counts (docs/ENGINE.md).

#include <string_view>
#include <vector>

#include "infermeter/core/engine.h"

namespace infermeter::engines::reference {

inline constexpr TokenId kFirstByteToken = 3;

inline std::vector<TokenId> TokenizeBytes(std::string_view text) {
  std::vector<TokenId> ids;
  ids.reserve(text.size());
  for (const char c : text) ids.push_back(kFirstByteToken + static_cast<unsigned char>(c));
  return ids;
}

}  // namespace infermeter::engines::reference
