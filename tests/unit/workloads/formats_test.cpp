// Importers on small hand-made fixtures (tests/data/workloads/), expected values worked out by
// hand from the fixture text; plus infermeter-jsonl round trips and the content hash.

#include <gtest/gtest.h>

#include "infermeter/core/error.h"
#include "infermeter/workloads/export.h"
#include "infermeter/workloads/import.h"
#include "infermeter/workloads/summary.h"
#include "test_paths.h"

namespace infermeter::workloads {
namespace {

using testing::Fixture;

TEST(Formats, MooncakeAcceptsAnyKeyOrderWhitespaceAndUnknownKeys) {
  const ImportResult result = ImportTraceFile(Fixture("mooncake_valid_variants.jsonl"), {});
  EXPECT_EQ(result.format, "mooncake");
  ASSERT_EQ(result.trace.sessions.size(), 2u);  // the blank line is not a record
  const Request& first = result.trace.sessions[0].turns[0];
  EXPECT_EQ(first.arrival_offset_ns, 12'250'000);  // 12.25 ms, exactly
  EXPECT_EQ(first.input_tokens, 1000);
  EXPECT_EQ(first.output_tokens, 5);
  EXPECT_EQ(first.block_hash_ids, (std::vector<BlockHashId>{7, 8}));
  EXPECT_EQ(first.metadata.source_line, 1);
  // 1200 tokens with one block: 512 in the block and a unique tail of 688.
  const Request& second = result.trace.sessions[1].turns[0];
  EXPECT_EQ(second.metadata.source_line, 3);
  EXPECT_EQ(TailTokens(second, 512), 688);
  EXPECT_EQ(FullBlockCount(first, 512), 1);  // 1000 tokens: one full block, one partial
}

TEST(Formats, AzureTimeZonesAndFractions) {
  const ImportResult result = ImportTraceFile(Fixture("azure_2024_zones.csv"), {});
  ASSERT_EQ(result.trace.sessions.size(), 2u);
  // 00:00:01.5 UTC and 02:00:00+02:00 = 00:00:00 UTC: the second row is 1.5 s earlier, and the
  // file order is kept.
  EXPECT_EQ(result.trace.sessions[0].turns[0].arrival_offset_ns, 1'500'000'000);
  EXPECT_EQ(result.trace.sessions[1].turns[0].arrival_offset_ns, 0);
  // 2024-05-10T00:00:00Z = 1715299200 s.
  EXPECT_EQ(*result.trace.start_unix_ns, 1715299200LL * 1'000'000'000);
}

TEST(Formats, BurstGptKeepsFailuresFlagged) {
  const ImportResult result = ImportTraceFile(Fixture("burstgpt_sample.csv"), {});
  EXPECT_EQ(result.format, "burstgpt");
  ASSERT_EQ(result.trace.sessions.size(), 3u);
  const Request& failed = result.trace.sessions[1].turns[0];
  EXPECT_EQ(failed.output_tokens, 0);
  EXPECT_EQ(failed.metadata.tags,
            (std::vector<std::string>{"model=GPT-4", "log_type=Conversation log", "failed"}));
  EXPECT_EQ(result.trace.sessions[2].turns[0].arrival_offset_ns, 118'500'000'000);
  EXPECT_EQ(Summarize(result.trace).failed_requests, 1);
}

TEST(Formats, BurstGptSessionsBecomeMultiTurn) {
  const ImportResult result = ImportTraceFile(Fixture("burstgpt_sessions.csv"), {});
  ASSERT_EQ(result.trace.sessions.size(), 2u);
  EXPECT_EQ(result.trace.sessions[0].id, "s1");
  ASSERT_EQ(result.trace.sessions[0].turns.size(), 2u);
  EXPECT_EQ(result.trace.sessions[0].turns[1].arrival_offset_ns, 9'000'000'000);
}

TEST(Formats, ShareGptTurnsCarryTheWholeHistory) {
  ImportOptions options;
  options.block_size_tokens = 4;
  const ImportResult result = ImportTraceFile(Fixture("sharegpt_sample.json"), options);
  EXPECT_EQ(result.format, "sharegpt");
  ASSERT_EQ(result.trace.sessions.size(), 2u);
  const Session& a = result.trace.sessions[0];
  ASSERT_EQ(a.turns.size(), 2u);
  // wordpiece-estimate-v1 (a word of more than 8 letters is 2 tokens), 4 tokens of markup per
  // message:
  //   "You are a helpful assistant."     = You are a helpful assistant(2) . = 7 -> 11
  //   "What is the capital of France?"   = 6 words + ?                    = 7 -> 11
  //   "The capital of France is Paris."  = 6 words + .                    = 7 (output 7 + 1 end)
  //   "And of Italy?"                    = 3 words + ?                    = 4 -> 8
  EXPECT_EQ(a.turns[0].input_tokens, 22);
  EXPECT_EQ(a.turns[0].output_tokens, 7 + 1);
  EXPECT_EQ(a.turns[1].input_tokens, 22 + 11 + 8);
  EXPECT_EQ(a.turns[1].after_turns, std::vector<std::int32_t>{0});
  // The second turn's full blocks start with the first turn's full blocks.
  const auto full = static_cast<std::size_t>(FullBlockCount(a.turns[0], 4));
  ASSERT_GT(full, 0u);
  EXPECT_TRUE(std::equal(a.turns[0].block_hash_ids.begin(),
                         a.turns[0].block_hash_ids.begin() + static_cast<std::ptrdiff_t>(full),
                         a.turns[1].block_hash_ids.begin()));
  // The system prompt's full blocks are shared across sessions (11 tokens: 2 full blocks).
  const Session& b = result.trace.sessions[1];
  EXPECT_EQ(b.turns[0].block_hash_ids[0], a.turns[0].block_hash_ids[0]);
  EXPECT_EQ(b.turns[0].block_hash_ids[1], a.turns[0].block_hash_ids[1]);
  EXPECT_NE(b.turns[0].block_hash_ids[2], a.turns[0].block_hash_ids[2]);
}

TEST(Formats, TrajectoryToolTimesBecomeThinkTime) {
  const ImportResult result = ImportTraceFile(Fixture("trajectories_exec_time.json"), {});
  EXPECT_EQ(result.format, "chat-trajectories");
  ASSERT_EQ(result.trace.sessions.size(), 1u);
  const Session& s = result.trace.sessions[0];
  EXPECT_EQ(s.id, "task-1-trial-0");
  ASSERT_EQ(s.turns.size(), 2u);
  EXPECT_EQ(s.turns[0].metadata.tool_name, "get_booking,get_user");
  // Two tool results, 0.25 s and 1.5 s, run one after the other.
  EXPECT_EQ(s.turns[1].think_time_ns, 1'750'000'000);
  EXPECT_EQ(s.turns[1].metadata.tags, std::vector<std::string>{"reward=1"});
}

TEST(Formats, MissingToolTimeIsDrawnFromTheDistribution) {
  ImportOptions options;
  options.tool_time_ms = ParseDistribution("uniform:100:200", "--tool-time-ms");
  options.seed = 3;
  const ImportResult a = ImportTraceFile(Fixture("trajectories_bad_tool_calls.json"),
                                         {.on_bad_record = OnBadRecord::kSkip});
  EXPECT_EQ(a.records_skipped, 1);
  const std::string text = R"([{"traj": [{"role": "user", "content": "go"},
      {"role": "assistant", "content": null, "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]},
      {"role": "tool", "name": "f", "content": "ok"},
      {"role": "assistant", "content": "done"}]}])";
  const Trace t1 = ImportTraceText(text, "t", options).trace;
  const Trace t2 = ImportTraceText(text, "t", options).trace;
  EXPECT_TRUE(t1 == t2);  // seeded
  const std::int64_t think = t1.sessions[0].turns[1].think_time_ns;
  EXPECT_GE(think, 100'000'000);
  EXPECT_LE(think, 200'000'000);
}

TEST(Formats, InfermeterJsonlRoundTripKeepsEverything) {
  Trace trace;
  trace.block_size_tokens = 4;
  trace.source_format = "hand \"made\"";
  trace.token_count_method = "from-trace";
  trace.start_unix_ns = -5;
  Session s{.id = "s\n1", .turns = {}};
  s.turns.push_back(
      Request{.arrival_offset_ns = 10,
              .block_hash_ids = {UINT64_MAX, 0},
              .input_tokens = 5,
              .output_tokens = 0,
              .metadata = {.source_line = 3, .tags = {"failed", "x=y"}, .tool_name = "t"}});
  s.turns.push_back(
      Request{.after_turns = {0}, .think_time_ns = 7, .input_tokens = 9, .output_tokens = 1});
  s.turns.push_back(
      Request{.after_turns = {0}, .think_time_ns = 8, .input_tokens = 9, .output_tokens = 1});
  s.turns.push_back(Request{.after_turns = {1, 2}, .input_tokens = 0, .output_tokens = 2});
  trace.sessions.push_back(s);
  ASSERT_TRUE(ValidateTrace(trace).empty());
  const std::string text = ExportInfermeterJsonl(trace);
  const Trace again = ImportTraceText(text, "t.jsonl", {}).trace;
  EXPECT_TRUE(again == trace) << text;
  EXPECT_EQ(ExportInfermeterJsonl(again), text);
  EXPECT_EQ(TraceContentHash(again), TraceContentHash(trace));
  trace.sessions[0].turns[3].output_tokens = 3;
  EXPECT_NE(TraceContentHash(again), TraceContentHash(trace));
}

TEST(Formats, ContentHashIsFnv1a64OfTheCanonicalText) {
  // FNV-1a 64 of the empty trace's header line, computed with Python:
  //   h = 0xcbf29ce484222325
  //   for b in text.encode(): h = ((h ^ b) * 0x100000001b3) % 2**64
  Trace empty;
  const std::string text = ExportInfermeterJsonl(empty);
  EXPECT_EQ(text,
            "{\"infermeter_trace\":1,\"block_size_tokens\":512,\"source_format\":\"\","
            "\"token_count_method\":\"\"}\n");
  EXPECT_EQ(TraceContentHash(empty), "fnv1a64:156d2642f613dcf3");
}

TEST(Validation, CatchesBrokenInvariants) {
  Trace trace;
  trace.sessions.push_back(Session{.id = "a", .turns = {Request{.input_tokens = 10}}});
  trace.sessions.push_back(Session{.id = "a", .turns = {}});
  trace.sessions[0].turns.push_back(Request{.after_turns = {1}, .input_tokens = 1});
  trace.sessions[0].turns.push_back(
      Request{.block_hash_ids = {1, 2}, .input_tokens = 512, .output_tokens = 1});
  const auto problems = ValidateTrace(trace);
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_NE(problems[0].find("session 'a' turn 1: after_turns must list earlier turns"),
            std::string::npos);
  EXPECT_NE(problems[1].find("turn 2: 2 blocks of 512 tokens need input_tokens > 512, got 512"),
            std::string::npos);
  EXPECT_NE(problems[2].find("session id 'a' is used twice"), std::string::npos);
  EXPECT_NE(problems[3].find("session 'a' has no turns"), std::string::npos);
}

}  // namespace
}  // namespace infermeter::workloads
