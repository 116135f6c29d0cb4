#include "infermeter/workloads/generators.h"

#include <cmath>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "infermeter/workloads/block_chain.h"

namespace infermeter::workloads {
namespace {

// Separate random streams per dimension, so changing one setting does not reshuffle the others.
enum Stream : std::uint64_t {
  kArrivalStream = 1,
  kLengthStream,
  kTimeStream,
  kParallelStream,
  kContentStream,
};

std::uint64_t StreamSeed(std::uint64_t seed, Stream stream) { return Combine64(seed, stream); }

void RequirePositive(std::int64_t value, const char* field) {
  if (value <= 0) {
    throw InputError({.source = "<options>", .field = field},
                     fmt::format("expected > 0, got {}", value));
  }
}

void RequireNonNegative(std::int64_t value, const char* field) {
  if (value < 0) {
    throw InputError({.source = "<options>", .field = field},
                     fmt::format("expected >= 0, got {}", value));
  }
}

std::int64_t MsToNs(double ms) { return static_cast<std::int64_t>(std::llround(ms * 1e6)); }

ArrivalSettings Seeded(ArrivalSettings arrivals, std::uint64_t seed) {
  arrivals.seed = StreamSeed(seed, kArrivalStream);
  return arrivals;
}

// Token counts are at least 1 unless the user's distribution allows 0 explicitly.
Distribution AtLeast(Distribution d, double min) {
  d.min = std::max(d.min, min);
  return d;
}

// A trace with no sessions yet, labelled as made by generator `kind` with exact token counts.
Trace EmptyGeneratedTrace(std::string_view kind, std::int64_t block_size_tokens) {
  Trace trace;
  trace.block_size_tokens = block_size_tokens;
  trace.source_format = fmt::format("generated:{}", kind);
  trace.token_count_method = "exact (generated)";
  return trace;
}

}  // namespace

Trace GenerateSynthetic(const SyntheticSettings& s) {
  RequirePositive(s.requests, "requests");
  RequirePositive(s.block_size_tokens, "block_size_tokens");
  RequireNonNegative(s.prefix_groups, "prefix_groups");
  RequireNonNegative(s.prefix_tokens, "prefix_tokens");
  Trace trace = EmptyGeneratedTrace("synthetic", s.block_size_tokens);
  const auto offsets =
      GenerateArrivalOffsetsNs(Seeded(s.arrivals, s.seed), static_cast<std::size_t>(s.requests));
  Rng lengths(StreamSeed(s.seed, kLengthStream));
  const Distribution input = AtLeast(s.input_tokens, s.prefix_groups > 0 ? 0 : 1);
  const Distribution output = AtLeast(s.output_tokens, 1);
  const std::int64_t shared_blocks =
      s.prefix_groups > 0 ? s.prefix_tokens / s.block_size_tokens : 0;
  for (std::int64_t i = 0; i < s.requests; ++i) {
    Request r;
    r.arrival_offset_ns = offsets[static_cast<std::size_t>(i)];
    r.input_tokens = SampleInt(input, lengths);
    r.output_tokens = SampleInt(output, lengths);
    if (s.prefix_groups > 0) {
      const std::int64_t group = i % s.prefix_groups;
      r.input_tokens += s.prefix_tokens;
      for (std::int64_t b = 0; b < shared_blocks; ++b) {
        r.block_hash_ids.push_back(Combine64(
            Combine64(StreamSeed(s.seed, kContentStream), static_cast<std::uint64_t>(group)),
            static_cast<std::uint64_t>(b)));
      }
      r.metadata.tags.push_back(fmt::format("prefix_group={}", group));
    }
    trace.sessions.push_back(Session{.id = std::to_string(i), .turns = {std::move(r)}});
  }
  return trace;
}

Trace GenerateLongContext(const LongContextSettings& s) {
  RequirePositive(s.documents, "documents");
  RequirePositive(s.questions_per_document, "questions_per_document");
  RequirePositive(s.block_size_tokens, "block_size_tokens");
  Trace trace = EmptyGeneratedTrace("long-context", s.block_size_tokens);
  const auto offsets =
      GenerateArrivalOffsetsNs(Seeded(s.arrivals, s.seed), static_cast<std::size_t>(s.documents));
  Rng lengths(StreamSeed(s.seed, kLengthStream));
  Rng times(StreamSeed(s.seed, kTimeStream));
  const std::uint64_t content = StreamSeed(s.seed, kContentStream);
  const Distribution document = AtLeast(s.document_tokens, 1);
  const Distribution question = AtLeast(s.question_tokens, 1);
  const Distribution answer = AtLeast(s.answer_tokens, 1);
  for (std::int64_t d = 0; d < s.documents; ++d) {
    Session session;
    session.id = fmt::format("doc-{}", d);
    BlockChain doc_chain(s.block_size_tokens);
    doc_chain.Append(Combine64(content, static_cast<std::uint64_t>(d)),
                     SampleInt(document, lengths));
    for (std::int64_t q = 0; q < s.questions_per_document; ++q) {
      BlockChain chain = doc_chain;
      chain.Append(Combine64(Combine64(content, static_cast<std::uint64_t>(d)),
                             static_cast<std::uint64_t>(q) + 1),
                   SampleInt(question, lengths));
      Request r;
      r.input_tokens = chain.tokens();
      r.block_hash_ids = chain.HashIds();
      r.output_tokens = SampleInt(answer, lengths);
      if (q == 0) {
        r.arrival_offset_ns = offsets[static_cast<std::size_t>(d)];
      } else {
        r.after_turns = {static_cast<std::int32_t>(q - 1)};
        r.think_time_ns = MsToNs(Sample(s.think_time_ms, times));
      }
      session.turns.push_back(std::move(r));
    }
    trace.sessions.push_back(std::move(session));
  }
  return trace;
}

Trace GenerateAgentic(const AgenticSettings& s) {
  RequirePositive(s.sessions, "sessions");
  RequirePositive(s.turns, "turns");
  RequirePositive(s.block_size_tokens, "block_size_tokens");
  RequireNonNegative(s.system_prompt_tokens, "system_prompt_tokens");
  RequireNonNegative(s.tool_schema_tokens, "tool_schema_tokens");
  if (!(s.parallel_probability >= 0 && s.parallel_probability <= 1)) {
    throw InputError(
        {.source = "<options>", .field = "parallel_probability"},
        fmt::format("expected a probability in [0, 1], got {}", s.parallel_probability));
  }
  if (s.parallel_probability > 0) RequirePositive(s.parallel_calls, "parallel_calls");
  Trace trace = EmptyGeneratedTrace("agentic", s.block_size_tokens);
  const auto offsets =
      GenerateArrivalOffsetsNs(Seeded(s.arrivals, s.seed), static_cast<std::size_t>(s.sessions));
  Rng lengths(StreamSeed(s.seed, kLengthStream));
  Rng times(StreamSeed(s.seed, kTimeStream));
  Rng parallel(StreamSeed(s.seed, kParallelStream));
  const std::uint64_t content = StreamSeed(s.seed, kContentStream);
  // The same keys in every session: the system prompt and tool schema are one shared prefix.
  const std::uint64_t system_key = Combine64(content, 0x5157);
  const std::uint64_t tools_key = Combine64(content, 0x7001);
  const Distribution user = AtLeast(s.user_tokens, 1);
  const Distribution result = AtLeast(s.tool_result_tokens, 1);
  const Distribution answer = AtLeast(s.answer_tokens, 1);
  for (std::int64_t i = 0; i < s.sessions; ++i) {
    Session session;
    session.id = fmt::format("agent-{}", i);
    const std::uint64_t session_key = Combine64(content, static_cast<std::uint64_t>(i) + 0x10000);
    std::uint64_t segment = 0;
    const auto next_key = [&] { return Combine64(session_key, ++segment); };
    BlockChain history(s.block_size_tokens);
    history.Append(system_key, s.system_prompt_tokens);
    history.Append(tools_key, s.tool_schema_tokens);
    history.Append(next_key(), SampleInt(user, lengths));
    // The previous step's requests and their answers, which the next step appends.
    std::vector<std::int32_t> previous;
    std::vector<std::int64_t> previous_answers;
    for (std::int64_t step = 0; step < s.turns; ++step) {
      const bool fan_out =
          step > 0 && s.parallel_probability > 0 && parallel.Uniform01() < s.parallel_probability;
      const std::int64_t width = fan_out ? s.parallel_calls : 1;
      for (const std::int64_t tokens : previous_answers) history.Append(next_key(), tokens);
      std::vector<std::pair<std::uint64_t, std::int64_t>> results;
      std::vector<std::int32_t> current;
      std::vector<std::int64_t> answers;
      for (std::int64_t j = 0; j < width; ++j) {
        Request r;
        BlockChain input = history;
        if (step == 0) {
          r.arrival_offset_ns = offsets[static_cast<std::size_t>(i)];
        } else {
          const std::pair<std::uint64_t, std::int64_t> tool{next_key(), SampleInt(result, lengths)};
          input.Append(tool.first, tool.second);
          results.push_back(tool);
          r.after_turns = previous;
          r.think_time_ns = MsToNs(Sample(s.tool_latency_ms, times));
        }
        r.input_tokens = input.tokens();
        r.block_hash_ids = input.HashIds();
        r.output_tokens = SampleInt(answer, lengths);
        if (fan_out) r.metadata.tags.push_back(fmt::format("fan_out={}/{}", j + 1, width));
        answers.push_back(r.output_tokens);
        current.push_back(static_cast<std::int32_t>(session.turns.size()));
        session.turns.push_back(std::move(r));
      }
      for (const auto& [key, tokens] : results) history.Append(key, tokens);
      previous = std::move(current);
      previous_answers = std::move(answers);
    }
    trace.sessions.push_back(std::move(session));
  }
  return trace;
}

}  // namespace infermeter::workloads
