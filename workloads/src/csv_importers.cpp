// CSV traces without prefix information: every request's input is a unique tail.
//   Azure LLM inference 2023/2024: TIMESTAMP (wall time), ContextTokens, GeneratedTokens.
//   BurstGPT: Timestamp (s from day 0), Model, Request tokens, Response tokens, Total tokens,
//             Log Type [, Session ID, Elapsed time]. Response tokens = 0 marks a failed request:
//             kept, tagged "failed".

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "csv.h"
#include "importers.h"
#include "line_reader.h"

namespace infermeter::workloads::detail {
namespace {

// Reads the header line; throws InputError naming a missing column.
std::vector<std::string> ReadHeader(LineReader& lines, const ImportContext& context,
                                    const std::vector<std::string_view>& required) {
  std::string_view line;
  if (!lines.Next(&line)) {
    throw InputError({.source = context.source, .line = 1}, "empty file, expected a CSV header");
  }
  std::vector<std::string> header;
  if (!SplitCsvLine(line, &header)) {
    throw InputError({.source = context.source, .line = 1}, "unterminated quote in the header");
  }
  // A UTF-8 byte order mark would hide the first column name.
  if (!header.empty() && header[0].starts_with("\xEF\xBB\xBF")) header[0].erase(0, 3);
  for (const auto name : required) {
    if (!FindColumn(header, name)) {
      throw InputError({.source = context.source, .line = 1, .field = std::string(name)},
                       fmt::format("missing column; the header has: {}", line));
    }
  }
  return header;
}

class RowError {
 public:
  RowError(const ImportContext& context, std::int64_t line) : context_(context), line_(line) {}
  InputError operator()(std::string_view field, const std::string& problem) const {
    return InputError({.source = context_.source, .line = line_, .field = std::string(field)},
                      problem);
  }

 private:
  const ImportContext& context_;
  std::int64_t line_;
};

std::int64_t RequireInt(const std::vector<std::string>& fields, std::size_t column,
                        std::string_view name, const RowError& error) {
  const auto value = ParseNonNegativeInt(fields[column]);
  if (!value) {
    throw error(name, fmt::format("expected a non-negative integer, found '{}'", fields[column]));
  }
  return *value;
}

// Splits one data row into `fields` and checks it has as many fields as the header.
void SplitRow(std::string_view line, const std::vector<std::string>& header, const RowError& error,
              std::vector<std::string>* fields) {
  if (!SplitCsvLine(line, fields)) throw error("", "unterminated quote");
  if (fields->size() != header.size()) {
    throw error("", fmt::format("expected {} fields as in the header, found {}", header.size(),
                                fields->size()));
  }
}

}  // namespace

void ImportAzure(std::string_view text, const ImportContext& context, ImportResult* result) {
  Trace& trace = result->trace;
  trace.block_size_tokens = context.options->block_size_tokens;
  trace.source_format = std::string(kFormatAzure);
  trace.token_count_method = "from-trace";
  LineReader lines(text);
  const auto header = ReadHeader(lines, context, {"TIMESTAMP", "ContextTokens", "GeneratedTokens"});
  const std::size_t ts_col = *FindColumn(header, "TIMESTAMP");
  const std::size_t in_col = *FindColumn(header, "ContextTokens");
  const std::size_t out_col = *FindColumn(header, "GeneratedTokens");
  std::vector<std::string> fields;
  std::vector<std::int64_t> unix_ns;
  std::string_view line;
  while (lines.Next(&line)) {
    if (IsBlank(line)) continue;
    const RowError error(context, lines.line_number());
    try {
      SplitRow(line, header, error, &fields);
      const auto when = ParseDateTimeAsUnixNs(fields[ts_col]);
      if (!when) {
        throw error("TIMESTAMP", fmt::format("expected 'YYYY-MM-DD HH:MM:SS[.fraction][zone]', "
                                             "found '{}'",
                                             fields[ts_col]));
      }
      Request request;
      request.input_tokens = RequireInt(fields, in_col, "ContextTokens", error);
      request.output_tokens = RequireInt(fields, out_col, "GeneratedTokens", error);
      request.metadata.source_line = lines.line_number();
      Session& session = trace.sessions.emplace_back();
      session.id = std::to_string(lines.line_number());
      session.turns.push_back(std::move(request));
      unix_ns.push_back(*when);
      ++result->records_read;
    } catch (const InputError& e) {
      context.bad->Handle(e);
    }
  }
  // Offsets count from the earliest request (the file's order is kept as it is).
  if (!unix_ns.empty()) {
    const std::int64_t start = *std::min_element(unix_ns.begin(), unix_ns.end());
    trace.start_unix_ns = start;
    for (std::size_t i = 0; i < unix_ns.size(); ++i) {
      trace.sessions[i].turns[0].arrival_offset_ns = unix_ns[i] - start;
    }
  }
}

void ImportBurstGpt(std::string_view text, const ImportContext& context, ImportResult* result) {
  Trace& trace = result->trace;
  trace.block_size_tokens = context.options->block_size_tokens;
  trace.source_format = std::string(kFormatBurstGpt);
  trace.token_count_method = "from-trace";
  LineReader lines(text);
  const auto header = ReadHeader(
      lines, context,
      {"Timestamp", "Model", "Request tokens", "Response tokens", "Total tokens", "Log Type"});
  const std::size_t ts_col = *FindColumn(header, "Timestamp");
  const std::size_t model_col = *FindColumn(header, "Model");
  const std::size_t in_col = *FindColumn(header, "Request tokens");
  const std::size_t out_col = *FindColumn(header, "Response tokens");
  const std::size_t total_col = *FindColumn(header, "Total tokens");
  const std::size_t type_col = *FindColumn(header, "Log Type");
  const auto session_col = FindColumn(header, "Session ID");
  std::unordered_map<std::string, std::size_t> session_index;
  std::vector<std::string> fields;
  std::string_view line;
  std::int64_t failed = 0;
  while (lines.Next(&line)) {
    if (IsBlank(line)) continue;
    const RowError error(context, lines.line_number());
    try {
      SplitRow(line, header, error, &fields);
      Request request;
      const auto when = ParseSecondsAsNs(fields[ts_col]);
      if (!when) {
        throw error("Timestamp", fmt::format("expected non-negative seconds with at most 9 "
                                             "decimals, found '{}'",
                                             fields[ts_col]));
      }
      request.arrival_offset_ns = *when;
      request.input_tokens = RequireInt(fields, in_col, "Request tokens", error);
      request.output_tokens = RequireInt(fields, out_col, "Response tokens", error);
      const std::int64_t total = RequireInt(fields, total_col, "Total tokens", error);
      if (total != request.input_tokens + request.output_tokens) {
        throw error("Total tokens",
                    fmt::format("expected Request tokens + Response tokens = {}, found {}",
                                request.input_tokens + request.output_tokens, total));
      }
      if (fields[model_col].empty()) throw error("Model", "expected a model name, found ''");
      request.metadata.source_line = lines.line_number();
      request.metadata.tags.push_back("model=" + fields[model_col]);
      request.metadata.tags.push_back("log_type=" + fields[type_col]);
      if (request.output_tokens == 0) {
        request.metadata.tags.emplace_back("failed");
        ++failed;
      }
      std::string id = std::to_string(lines.line_number());
      if (session_col) {
        if (fields[*session_col].empty()) throw error("Session ID", "expected a session id");
        id = fields[*session_col];
      }
      const auto [it, inserted] = session_index.try_emplace(id, trace.sessions.size());
      if (inserted) trace.sessions.push_back(Session{.id = id, .turns = {}});
      // Turns of a session keep their own recorded arrival times, in file order.
      trace.sessions[it->second].turns.push_back(std::move(request));
      ++result->records_read;
    } catch (const InputError& e) {
      context.bad->Handle(e);
    }
  }
  if (failed > 0) {
    result->notes.push_back(fmt::format(
        "{} requests have 0 response tokens (failed in the original service); kept and tagged "
        "'failed'",
        failed));
  }
}

}  // namespace infermeter::workloads::detail
