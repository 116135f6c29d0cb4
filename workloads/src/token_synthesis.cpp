#include "infermeter/workloads/token_synthesis.h"

#include <array>
#include <string_view>

#include "infermeter/workloads/random.h"

namespace infermeter::workloads {
namespace {

// Domain separators, so that a block id and a request key with equal values differ.
constexpr std::uint64_t kBlockDomain = 0x626c6f636b000001ULL;
constexpr std::uint64_t kTailDomain = 0x7461696c00000002ULL;

// 256 common English words of at most six letters; each is a single token with its leading
// space in common BPE vocabularies.
constexpr std::array<std::string_view, 256> kWords = {
    "the",    "of",     "and",    "to",     "in",     "is",     "you",   "that",   "it",
    "he",     "was",    "for",    "on",     "are",    "as",     "with",  "his",    "they",
    "at",     "be",     "this",   "have",   "from",   "or",     "one",   "had",    "by",
    "word",   "but",    "not",    "what",   "all",    "were",   "we",    "when",   "your",
    "can",    "said",   "there",  "use",    "an",     "each",   "which", "she",    "do",
    "how",    "their",  "if",     "will",   "up",     "other",  "about", "out",    "many",
    "then",   "them",   "these",  "so",     "some",   "her",    "would", "make",   "like",
    "him",    "into",   "time",   "has",    "look",   "two",    "more",  "write",  "go",
    "see",    "number", "no",     "way",    "could",  "people", "my",    "than",   "first",
    "water",  "been",   "call",   "who",    "oil",    "its",    "now",   "find",   "long",
    "down",   "day",    "did",    "get",    "come",   "made",   "may",   "part",   "over",
    "new",    "sound",  "take",   "only",   "little", "work",   "know",  "place",  "year",
    "live",   "me",     "back",   "give",   "most",   "very",   "after", "thing",  "our",
    "just",   "name",   "good",   "man",    "think",  "say",    "great", "where",  "help",
    "much",   "before", "line",   "right",  "too",    "mean",   "old",   "any",    "same",
    "tell",   "boy",    "follow", "came",   "want",   "show",   "also",  "around", "form",
    "three",  "small",  "set",    "put",    "end",    "does",   "well",  "large",  "must",
    "big",    "even",   "such",   "turn",   "here",   "why",    "ask",   "went",   "men",
    "read",   "need",   "land",   "home",   "us",     "move",   "try",   "kind",   "hand",
    "fact",   "again",  "change", "off",    "play",   "spell",  "air",   "away",   "animal",
    "house",  "point",  "page",   "letter", "mother", "answer", "found", "study",  "still",
    "learn",  "should", "world",  "high",   "every",  "near",   "add",   "food",   "own",
    "below",  "plant",  "last",   "school", "father", "keep",   "tree",  "never",  "start",
    "city",   "earth",  "eye",    "light",  "head",   "under",  "story", "saw",    "left",
    "few",    "while",  "along",  "might",  "close",  "seem",   "next",  "hard",   "open",
    "begin",  "life",   "always", "those",  "both",   "paper",  "often", "run",    "second",
    "late",   "miss",   "idea",   "enough", "eat",    "face",   "watch", "far",    "really",
    "almost", "let",    "above",  "girl",   "sea",    "began",  "grow",  "took",   "river",
    "four",   "carry",  "state",  "once"};

}  // namespace

std::uint64_t RequestKey(const std::string& session_id, std::int32_t turn) {
  // FNV-1a over the id, then mixed with the turn index.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char c : session_id) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return Combine64(h, static_cast<std::uint64_t>(turn));
}

TokenSynthesizer::TokenSynthesizer(TokenSettings settings, std::int64_t block_size_tokens)
    : settings_(settings), block_size_tokens_(block_size_tokens) {}

std::int32_t TokenSynthesizer::TokenAt(std::uint64_t stream_key, std::int64_t index) const {
  const auto range = static_cast<std::uint64_t>(settings_.vocab_end - settings_.vocab_begin);
  const std::uint64_t r =
      Mix64(stream_key + static_cast<std::uint64_t>(index) * 0x9e3779b97f4a7c15ULL);
  // Multiply-shift maps 32 random bits to [0, range) (range < 2^32) without a modulo.
  const std::uint64_t offset = ((r >> 32) * range) >> 32;
  return settings_.vocab_begin + static_cast<std::int32_t>(offset);
}

void TokenSynthesizer::AppendBlock(BlockHashId id, std::int64_t count,
                                   std::vector<std::int32_t>& out) const {
  const std::uint64_t key = Combine64(Combine64(settings_.seed, kBlockDomain), id);
  for (std::int64_t i = 0; i < count; ++i) out.push_back(TokenAt(key, i));
}

void TokenSynthesizer::AppendTail(std::uint64_t request_key, std::int64_t count,
                                  std::vector<std::int32_t>& out) const {
  const std::uint64_t key = Combine64(Combine64(settings_.seed, kTailDomain), request_key);
  for (std::int64_t i = 0; i < count; ++i) out.push_back(TokenAt(key, i));
}

std::vector<std::int32_t> TokenSynthesizer::Synthesize(const Request& request,
                                                       std::uint64_t request_key) const {
  std::vector<std::int32_t> tokens;
  tokens.reserve(static_cast<std::size_t>(request.input_tokens));
  std::int64_t left = request.input_tokens;
  for (const BlockHashId id : request.block_hash_ids) {
    if (left <= 0) break;
    const std::int64_t count = std::min(left, block_size_tokens_);
    AppendBlock(id, count, tokens);
    left -= count;
  }
  AppendTail(request_key, left, tokens);
  return tokens;
}

std::string RenderText(const std::vector<std::int32_t>& tokens) {
  std::string text;
  text.reserve(tokens.size() * 5);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) text += ' ';
    text += kWords[static_cast<std::uint32_t>(tokens[i]) % kWords.size()];
  }
  return text;
}

}  // namespace infermeter::workloads
