#pragma once
// Token ids as text, for requests that must carry text (chat messages, text prompts): without the
// server's tokenizer the client cannot send the exact tokens, so each id becomes a piece of text
// that tokenizers read as about one token. The server's usage then says how many tokens the text
// really was, and that is what the run records.

#include <span>
#include <string>

#include "infermeter/core/engine.h"
#include "infermeter/engines/openai_engine.h"

namespace infermeter::engines::openai {

// Appends the text for `ids` to `out`: a word with a leading space per id (PromptText::kWords,
// e.g. " the of and"), or one printable ASCII character per id (kBytes). The same ids always give
// the same text, so shared prompt prefixes stay shared prefixes.
void AppendPromptText(std::span<const TokenId> ids, PromptText form, std::string& out);

}  // namespace infermeter::engines::openai
