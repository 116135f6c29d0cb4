#pragma once
// Importers: read a trace file in one of the known formats (detected from its content, or named)
// into the trace model. Every malformed record raises an InputError naming file, line (or JSON
// path) and field, or is skipped and counted when the options say so. Records are never
// truncated, clamped or reordered.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/workloads/random.h"
#include "infermeter/workloads/tokenizer_estimate.h"
#include "infermeter/workloads/trace.h"

namespace infermeter::workloads {

enum class OnBadRecord { kFail, kSkip };
// Parses "fail" or "skip"; throws InputError naming `option` otherwise.
OnBadRecord ParseOnBadRecord(const std::string& text, const std::string& option);

// Format names accepted by ImportOptions::format and printed by `trace inspect`.
inline constexpr std::string_view kFormatMooncake = "mooncake";
inline constexpr std::string_view kFormatAzure = "azure";
inline constexpr std::string_view kFormatBurstGpt = "burstgpt";
inline constexpr std::string_view kFormatShareGpt = "sharegpt";
inline constexpr std::string_view kFormatChatTrajectories = "chat-trajectories";
inline constexpr std::string_view kFormatInfermeterJsonl = "infermeter-jsonl";
const std::vector<std::string>& KnownFormats();

struct ImportOptions {
  std::string format;  // "" = detect from the content
  OnBadRecord on_bad_record = OnBadRecord::kFail;
  // Block size given to formats without their own (text formats); Mooncake's is always 512 and
  // infermeter-jsonl carries its own.
  std::int64_t block_size_tokens = kDefaultBlockSizeTokens;
  // Token counts of text formats (ShareGPT, chat trajectories).
  TokenEstimator estimator = TokenEstimator::kWordPiece;
  // Chat trajectories: the time a tool call takes when the trace does not record
  // execution_time_seconds, in milliseconds.
  Distribution tool_time_ms{.kind = Distribution::Kind::kFixed, .a = 1000};
  // Text formats: the time between a model answer and the user's next message, in milliseconds.
  Distribution user_think_time_ms{.kind = Distribution::Kind::kFixed, .a = 0};
  std::uint64_t seed = 0;  // for the two distributions above
};

struct ImportResult {
  Trace trace;
  std::string format;
  std::int64_t records_read = 0;              // records turned into requests or sessions
  std::int64_t records_skipped = 0;           // bad records skipped under OnBadRecord::kSkip
  std::vector<std::string> skipped_examples;  // the first few skip messages
  std::vector<std::string> notes;             // facts worth telling the user
};

// Detects the format from the first bytes; throws InputError when it cannot.
std::string DetectFormat(std::string_view text, const std::string& source);
ImportResult ImportTraceText(std::string_view text, const std::string& source,
                             const ImportOptions& options);
// Reads the whole file, then imports it. Throws Error when the file cannot be read.
ImportResult ImportTraceFile(const std::string& path, const ImportOptions& options);

}  // namespace infermeter::workloads
