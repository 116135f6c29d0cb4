#include "openai/prompt_text.h"

#include <array>
#include <cstdint>
#include <string_view>

namespace infermeter::engines::openai {
namespace {

// 256 common English words; with their leading space nearly all are one token in the BPE
// vocabularies of GPT-2/4, Llama 3, Qwen and DeepSeek. An id picks one by its low byte.
constexpr std::array<std::string_view, 256> kWords = {
    " the",     " of",       " and",    " to",      " in",       " is",      " it",     " you",
    " that",    " he",       " was",    " for",     " on",       " are",     " with",   " as",
    " his",     " they",     " be",     " at",      " one",      " have",    " this",   " from",
    " or",      " had",      " by",     " hot",     " but",      " some",    " what",   " there",
    " we",      " can",      " out",    " other",   " were",     " all",     " your",   " when",
    " up",      " use",      " word",   " how",     " said",     " an",      " each",   " she",
    " which",   " do",       " their",  " time",    " if",       " will",    " way",    " about",
    " many",    " then",     " them",   " would",   " write",    " like",    " so",     " these",
    " her",     " long",     " make",   " thing",   " see",      " him",     " two",    " has",
    " look",    " more",     " day",    " could",   " go",       " come",    " did",    " my",
    " sound",   " no",       " most",   " number",  " who",      " over",    " know",   " water",
    " than",    " call",     " first",  " people",  " may",      " down",    " side",   " been",
    " now",     " find",     " any",    " new",     " work",     " part",    " take",   " get",
    " place",   " made",     " live",   " where",   " after",    " back",    " little", " only",
    " round",   " man",      " year",   " came",    " show",     " every",   " good",   " me",
    " give",    " our",      " under",  " name",    " very",     " through", " just",   " form",
    " much",    " great",    " think",  " say",     " help",     " low",     " line",   " before",
    " turn",    " cause",    " same",   " mean",    " differ",   " move",    " right",  " boy",
    " old",     " too",      " does",   " tell",    " sentence", " set",     " three",  " want",
    " air",     " well",     " also",   " play",    " small",    " end",     " put",    " home",
    " read",    " hand",     " port",   " large",   " spell",    " add",     " even",   " land",
    " here",    " must",     " big",    " high",    " such",     " follow",  " act",    " why",
    " ask",     " men",      " change", " went",    " light",    " kind",    " off",    " need",
    " house",   " picture",  " try",    " us",      " again",    " animal",  " point",  " mother",
    " world",   " near",     " build",  " self",    " earth",    " father",  " head",   " stand",
    " own",     " page",     " should", " country", " found",    " answer",  " school", " grow",
    " study",   " still",    " learn",  " plant",   " cover",    " food",    " sun",    " four",
    " thought", " let",      " keep",   " eye",     " never",    " last",    " door",   " between",
    " city",    " tree",     " cross",  " since",   " hard",     " start",   " might",  " story",
    " saw",     " far",      " sea",    " draw",    " left",     " late",    " run",    " while",
    " press",   " close",    " night",  " real",    " life",     " few",     " stop",   " open",
    " seem",    " together", " next",   " white",   " children", " begin",   " got",    " walk",
};

// The 94 printable ASCII characters other than space.
constexpr char PrintableByte(TokenId id) {
  return static_cast<char>('!' + static_cast<std::uint32_t>(id) % 94U);
}

}  // namespace

void AppendPromptText(std::span<const TokenId> ids, PromptText form, std::string& out) {
  if (form == PromptText::kBytes) {
    out.reserve(out.size() + ids.size());
    for (const TokenId id : ids) out.push_back(PrintableByte(id));
    return;
  }
  out.reserve(out.size() + ids.size() * 6);
  for (const TokenId id : ids) out.append(kWords[static_cast<std::uint32_t>(id) & 0xFFU]);
}

}  // namespace infermeter::engines::openai
