#include "infermeter/workloads/tokenizer_estimate.h"

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::workloads {
namespace {

enum class CharClass { kLetter, kDigit, kSpace, kOther };

CharClass Classify(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80) return CharClass::kLetter;
  if (c >= '0' && c <= '9') return CharClass::kDigit;
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return CharClass::kSpace;
  return CharClass::kOther;
}

std::int64_t WordPiece(std::string_view text) {
  std::int64_t tokens = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const CharClass cls = Classify(static_cast<unsigned char>(text[i]));
    std::size_t j = i + 1;
    while (j < text.size() && Classify(static_cast<unsigned char>(text[j])) == cls) ++j;
    const auto n = static_cast<std::int64_t>(j - i);
    switch (cls) {
      case CharClass::kLetter:
        tokens += 1 + (n - 1) / 8;
        break;
      case CharClass::kDigit:
        tokens += (n + 2) / 3;
        break;
      case CharClass::kSpace: {
        const bool merges = n == 1 && text[i] == ' ' && j < text.size() &&
                            Classify(static_cast<unsigned char>(text[j])) != CharClass::kOther;
        if (!merges) tokens += 1;
        break;
      }
      case CharClass::kOther:
        tokens += (n + 1) / 2;
        break;
    }
    i = j;
  }
  return tokens;
}

}  // namespace

std::int64_t EstimateTokens(std::string_view text, TokenEstimator estimator) {
  switch (estimator) {
    case TokenEstimator::kWordPiece:
      return WordPiece(text);
    case TokenEstimator::kBytes:
      return static_cast<std::int64_t>((text.size() + 3) / 4);
  }
  return 0;
}

std::string EstimatorName(TokenEstimator estimator) {
  return estimator == TokenEstimator::kWordPiece ? "wordpiece-estimate-v1" : "bytes-div-4-v1";
}

TokenEstimator ParseEstimator(const std::string& text, const std::string& option) {
  if (text == "wordpiece") return TokenEstimator::kWordPiece;
  if (text == "bytes") return TokenEstimator::kBytes;
  throw InputError({.source = "<command line>", .field = option},
                   fmt::format("'{}' is not a token estimator; expected wordpiece or bytes", text));
}

}  // namespace infermeter::workloads
