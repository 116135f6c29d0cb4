// infermeter-jsonl, specified in docs/WORKLOADS.md. Export writes a canonical text (fixed key
// order, defaults left out); import accepts keys in any order and checks every field.

#include <fstream>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "importers.h"
#include "infermeter/core/json_text.h"
#include "infermeter/workloads/export.h"
#include "line_reader.h"

namespace infermeter::workloads {
namespace {

constexpr int kFormatVersion = 1;

}  // namespace

std::string ExportInfermeterJsonl(const Trace& trace) {
  std::string out;
  out += fmt::format("{{\"infermeter_trace\":{},\"block_size_tokens\":{},\"source_format\":",
                     kFormatVersion, trace.block_size_tokens);
  AppendJsonString(out, trace.source_format);
  out += ",\"token_count_method\":";
  AppendJsonString(out, trace.token_count_method);
  if (trace.start_unix_ns) out += fmt::format(",\"start_unix_ns\":{}", *trace.start_unix_ns);
  out += "}\n";
  for (const Session& session : trace.sessions) {
    for (std::size_t t = 0; t < session.turns.size(); ++t) {
      const Request& r = session.turns[t];
      out += "{\"session\":";
      AppendJsonString(out, session.id);
      out += fmt::format(",\"turn\":{}", t);
      if (r.after_turns.empty()) {
        out += fmt::format(",\"arrival_offset_ns\":{}", r.arrival_offset_ns);
      } else {
        out += fmt::format(",\"after_turns\":[{}],\"think_time_ns\":{}",
                           fmt::join(r.after_turns, ","), r.think_time_ns);
      }
      out += fmt::format(",\"input_tokens\":{},\"output_tokens\":{},\"hash_ids\":[{}]",
                         r.input_tokens, r.output_tokens, fmt::join(r.block_hash_ids, ","));
      if (r.metadata.source_line != 0) {
        out += fmt::format(",\"source_line\":{}", r.metadata.source_line);
      }
      if (!r.metadata.tags.empty()) {
        out += ",\"tags\":[";
        for (std::size_t i = 0; i < r.metadata.tags.size(); ++i) {
          if (i > 0) out += ',';
          AppendJsonString(out, r.metadata.tags[i]);
        }
        out += ']';
      }
      if (!r.metadata.tool_name.empty()) {
        out += ",\"tool\":";
        AppendJsonString(out, r.metadata.tool_name);
      }
      out += "}\n";
    }
  }
  return out;
}

void WriteInfermeterJsonlFile(const Trace& trace, const std::string& path) {
  const std::string text = ExportInfermeterJsonl(trace);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(fmt::format("{}: cannot open for writing", path));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) throw Error(fmt::format("{}: write failed", path));
}

std::string TraceContentHash(const Trace& trace) {
  const std::string text = ExportInfermeterJsonl(trace);
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64-bit offset basis
  for (const unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;  // FNV 64-bit prime
  }
  return fmt::format("fnv1a64:{:016x}", h);
}

namespace detail {
namespace {

using Json = nlohmann::json;

class LineFields {
 public:
  LineFields(const Json& object, const ImportContext& context, std::int64_t line)
      : object_(object), context_(context), line_(line) {}

  InputError Error(std::string_view field, const std::string& problem) const {
    return InputError({.source = context_.source, .line = line_, .field = std::string(field)},
                      problem);
  }
  const Json* Find(std::string_view key) const {
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  std::int64_t Int(std::string_view key, std::optional<std::int64_t> fallback = std::nullopt,
                   std::int64_t min = 0) const {
    const Json* value = Find(key);
    if (!value) {
      if (fallback) return *fallback;
      throw Error(key, "missing");
    }
    if (!value->is_number_integer() ||
        (value->is_number_unsigned() && value->get<std::uint64_t>() > INT64_MAX)) {
      throw Error(key, fmt::format("expected an integer, found {}", value->dump()));
    }
    const auto v = value->get<std::int64_t>();
    if (v < min) throw Error(key, fmt::format("expected an integer >= {}, found {}", min, v));
    return v;
  }
  std::string String(std::string_view key, bool required) const {
    const Json* value = Find(key);
    if (!value) {
      if (required) throw Error(key, "missing");
      return {};
    }
    if (!value->is_string())
      throw Error(key, fmt::format("expected a string, found {}", value->dump()));
    return value->get<std::string>();
  }

 private:
  const Json& object_;
  const ImportContext& context_;
  std::int64_t line_;
};

Json ParseLine(std::string_view line, const ImportContext& context, std::int64_t number) {
  Json object;
  try {
    object = Json::parse(line.begin(), line.end());
  } catch (const Json::parse_error& e) {
    throw InputError({.source = context.source, .line = number},
                     fmt::format("not valid JSON: {}", e.what()));
  }
  if (!object.is_object()) {
    throw InputError({.source = context.source, .line = number}, "expected a JSON object");
  }
  return object;
}

}  // namespace

void ImportInfermeterJsonl(std::string_view text, const ImportContext& context,
                           ImportResult* result) {
  Trace& trace = result->trace;
  LineReader lines(text);
  std::string_view line;
  bool have_header = false;
  while (!have_header && lines.Next(&line)) {
    if (IsBlank(line)) continue;
    const Json header = ParseLine(line, context, lines.line_number());
    const LineFields fields(header, context, lines.line_number());
    const std::int64_t version = fields.Int("infermeter_trace");
    if (version != kFormatVersion) {
      throw fields.Error(
          "infermeter_trace",
          fmt::format("version {} is not supported (expected {})", version, kFormatVersion));
    }
    trace.block_size_tokens = fields.Int("block_size_tokens", std::nullopt, 1);
    trace.source_format = fields.String("source_format", true);
    trace.token_count_method = fields.String("token_count_method", true);
    if (fields.Find("start_unix_ns")) {
      trace.start_unix_ns = fields.Int("start_unix_ns", std::nullopt, INT64_MIN);
    }
    have_header = true;
  }
  if (!have_header) {
    throw InputError({.source = context.source, .line = 1, .field = "infermeter_trace"},
                     "missing header line");
  }
  std::unordered_map<std::string, std::size_t> session_index;
  while (lines.Next(&line)) {
    if (IsBlank(line)) continue;
    try {
      const Json object = ParseLine(line, context, lines.line_number());
      const LineFields fields(object, context, lines.line_number());
      const std::string id = fields.String("session", true);
      if (id.empty()) throw fields.Error("session", "expected a non-empty session id");
      const std::int64_t turn = fields.Int("turn");
      const auto found = session_index.find(id);
      const std::size_t expected_turn =
          found == session_index.end() ? 0 : trace.sessions[found->second].turns.size();
      if (static_cast<std::size_t>(turn) != expected_turn) {
        throw fields.Error("turn", fmt::format("expected turn {} of session '{}' (turns are "
                                               "listed in order), found {}",
                                               expected_turn, id, turn));
      }
      Request r;
      if (const Json* after = fields.Find("after_turns")) {
        if (fields.Find("arrival_offset_ns")) {
          throw fields.Error("arrival_offset_ns",
                             "a turn has after_turns or arrival_offset_ns, "
                             "not both");
        }
        if (!after->is_array() || after->empty()) {
          throw fields.Error("after_turns", "expected a non-empty array of earlier turn indices");
        }
        std::int64_t previous = -1;
        for (const auto& dep : *after) {
          if (!dep.is_number_integer() || dep.get<std::int64_t>() <= previous ||
              dep.get<std::int64_t>() >= turn) {
            throw fields.Error("after_turns", fmt::format("expected earlier turns (< {}) in "
                                                          "increasing order, found {}",
                                                          turn, after->dump()));
          }
          previous = dep.get<std::int64_t>();
          r.after_turns.push_back(static_cast<std::int32_t>(previous));
        }
        r.think_time_ns = fields.Int("think_time_ns", 0);
      } else {
        if (fields.Find("think_time_ns")) {
          throw fields.Error("think_time_ns", "only turns with after_turns have a think time");
        }
        r.arrival_offset_ns = fields.Int("arrival_offset_ns");
      }
      r.input_tokens = fields.Int("input_tokens");
      r.output_tokens = fields.Int("output_tokens");
      const Json* ids = fields.Find("hash_ids");
      if (!ids || !ids->is_array()) {
        throw fields.Error("hash_ids", "expected an array of block hash ids (unsigned 64-bit)");
      }
      r.block_hash_ids.reserve(ids->size());
      for (const auto& id_value : *ids) {
        if (!id_value.is_number_unsigned() &&
            !(id_value.is_number_integer() && id_value.get<std::int64_t>() >= 0)) {
          throw fields.Error("hash_ids",
                             fmt::format("expected unsigned integers, found {}", id_value.dump()));
        }
        r.block_hash_ids.push_back(id_value.get<std::uint64_t>());
      }
      const auto blocks = static_cast<std::int64_t>(r.block_hash_ids.size());
      if (blocks > 0 && r.input_tokens <= (blocks - 1) * trace.block_size_tokens) {
        throw fields.Error("hash_ids",
                           fmt::format("{} blocks of {} tokens need input_tokens > {}, "
                                       "found {}",
                                       blocks, trace.block_size_tokens,
                                       (blocks - 1) * trace.block_size_tokens, r.input_tokens));
      }
      r.metadata.source_line = fields.Int("source_line", 0);
      if (const Json* tags = fields.Find("tags")) {
        if (!tags->is_array()) throw fields.Error("tags", "expected an array of strings");
        for (const auto& tag : *tags) {
          if (!tag.is_string()) throw fields.Error("tags", "expected an array of strings");
          r.metadata.tags.push_back(tag.get<std::string>());
        }
      }
      r.metadata.tool_name = fields.String("tool", false);
      if (found == session_index.end()) {
        session_index.emplace(id, trace.sessions.size());
        trace.sessions.push_back(Session{.id = id, .turns = {}});
        trace.sessions.back().turns.push_back(std::move(r));
      } else {
        trace.sessions[found->second].turns.push_back(std::move(r));
      }
      ++result->records_read;
    } catch (const InputError& e) {
      context.bad->Handle(e);
    }
  }
}

}  // namespace detail
}  // namespace infermeter::workloads
