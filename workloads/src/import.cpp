#include "infermeter/workloads/import.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "importers.h"
#include "line_reader.h"

namespace infermeter::workloads {

OnBadRecord ParseOnBadRecord(const std::string& text, const std::string& option) {
  if (text == "fail") return OnBadRecord::kFail;
  if (text == "skip") return OnBadRecord::kSkip;
  throw InputError({.source = "<command line>", .field = option},
                   fmt::format("'{}' is not fail or skip", text));
}

const std::vector<std::string>& KnownFormats() {
  static const std::vector<std::string> formats = {
      std::string(kFormatMooncake),         std::string(kFormatAzure),
      std::string(kFormatBurstGpt),         std::string(kFormatShareGpt),
      std::string(kFormatChatTrajectories), std::string(kFormatInfermeterJsonl)};
  return formats;
}

namespace {

std::string_view FirstNonBlankLine(std::string_view text) {
  detail::LineReader lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    if (!detail::IsBlank(line)) return line;
  }
  return {};
}

}  // namespace

std::string DetectFormat(std::string_view text, const std::string& source) {
  // Only the start of the file is looked at, so detection costs nothing on large files.
  const std::string_view head = text.substr(0, 64 * 1024);
  std::size_t i = 0;
  if (head.starts_with("\xEF\xBB\xBF")) i = 3;
  while (i < head.size() &&
         (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t')) {
    ++i;
  }
  if (i < head.size() && head[i] == '[') {
    // A JSON array: the first element's keys tell ShareGPT from chat trajectories.
    const auto conversations = head.find("\"conversations\"");
    const auto trajectory = std::min(head.find("\"traj\""), head.find("\"role\""));
    if (conversations != std::string_view::npos && conversations < trajectory) {
      return std::string(kFormatShareGpt);
    }
    if (trajectory != std::string_view::npos) return std::string(kFormatChatTrajectories);
  } else if (i < head.size() && head[i] == '{') {
    const std::string_view first = FirstNonBlankLine(head.substr(i));
    if (first.find("\"infermeter_trace\"") != std::string_view::npos) {
      return std::string(kFormatInfermeterJsonl);
    }
    if (first.find("\"hash_ids\"") != std::string_view::npos ||
        first.find("\"input_length\"") != std::string_view::npos) {
      return std::string(kFormatMooncake);
    }
  } else {
    const std::string_view header = FirstNonBlankLine(head.substr(i));
    if (header.find("ContextTokens") != std::string_view::npos) return std::string(kFormatAzure);
    if (header.find("Request tokens") != std::string_view::npos) {
      return std::string(kFormatBurstGpt);
    }
  }
  throw InputError({.source = source, .line = 1},
                   fmt::format("cannot tell the trace format from the content; name it with "
                               "--format ({})",
                               fmt::join(KnownFormats(), ", ")));
}

ImportResult ImportTraceText(std::string_view text, const std::string& source,
                             const ImportOptions& options) {
  if (options.block_size_tokens <= 0) {
    throw InputError({.source = "<options>", .field = "block_size_tokens"}, "expected > 0");
  }
  ImportResult result;
  result.format = options.format.empty() ? DetectFormat(text, source) : options.format;
  detail::BadRecords bad(options.on_bad_record);
  const detail::ImportContext context{.source = source, .options = &options, .bad = &bad};
  if (result.format == kFormatMooncake) {
    detail::ImportMooncake(text, context, &result);
  } else if (result.format == kFormatAzure) {
    detail::ImportAzure(text, context, &result);
  } else if (result.format == kFormatBurstGpt) {
    detail::ImportBurstGpt(text, context, &result);
  } else if (result.format == kFormatShareGpt) {
    detail::ImportShareGpt(text, context, &result);
  } else if (result.format == kFormatChatTrajectories) {
    detail::ImportChatTrajectories(text, context, &result);
  } else if (result.format == kFormatInfermeterJsonl) {
    detail::ImportInfermeterJsonl(text, context, &result);
  } else {
    throw InputError({.source = "<options>", .field = "format"},
                     fmt::format("unknown format '{}'; expected one of {}", result.format,
                                 fmt::join(KnownFormats(), ", ")));
  }
  result.records_skipped = bad.skipped();
  result.skipped_examples = std::move(bad.examples());
  // Importers check every record. Whole-trace invariants (unique ids, dependencies) hold by
  // construction for the single-turn line formats, whose ids are line numbers, so only the
  // others pay for a full check (it would cost 15% of Mooncake's import time; the tests run
  // ValidateTrace on every imported real trace instead).
  if (result.format != kFormatMooncake && result.format != kFormatAzure) {
    CheckTrace(result.trace, source);
  }
  return result;
}

ImportResult ImportTraceFile(const std::string& path, const ImportOptions& options) {
  // A directory opens as a stream on Linux and reports a huge size: refuse it by name.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw Error(fmt::format("{}: is a directory; expected a trace file", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open for reading", path));
  std::string text;
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  if (size > 0) {
    text.resize(static_cast<std::size_t>(size));
    in.seekg(0, std::ios::beg);
    in.read(text.data(), size);
  } else {
    // Pipes and special files have no size: read them as a stream.
    in.clear();
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  if (in.bad()) throw Error(fmt::format("{}: read failed", path));
  return ImportTraceText(text, path, options);
}

}  // namespace infermeter::workloads
