// The importers on the real public traces in ../shared/traces. Every expected number below was
// computed independently with Python 3 (json/csv modules) when this test was written, by the
// script quoted next to it; nothing here is produced by the code under test.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "infermeter/workloads/export.h"
#include "infermeter/workloads/import.h"
#include "infermeter/workloads/summary.h"
#include "infermeter/workloads/token_synthesis.h"
#include "test_paths.h"

namespace infermeter::workloads {
namespace {

using testing::SharedTrace;

// Python (percentiles are nearest-rank: sorted(v)[ceil(p/100*len(v))-1]):
//   rows = [json.loads(l) for l in open('mooncake_conversation_trace.jsonl')]
//   len(rows) -> 12031; all(ceil(r['input_length']/512) == len(r['hash_ids'])) -> True
//   sum(input_length) -> 144793823, sum(output_length) -> 4122048
//   input  min 891, p50 6909, p90 27367, p99 85401, max 126195
//   output min 1, p50 350, p90 597, p99 1120, max 2000
//   (timestamps[-1] - timestamps[0]) / 1000 -> 3536.999 s (timestamps are sorted)
TEST(RealTraces, MooncakeCountsAndStatistics) {
  const auto path = SharedTrace("mooncake_conversation_trace.jsonl");
  SKIP_UNLESS_EXISTS(path);
  const ImportResult result = ImportTraceFile(path, {});
  EXPECT_EQ(result.format, "mooncake");
  EXPECT_EQ(result.records_read, 12031);
  EXPECT_EQ(result.records_skipped, 0);
  EXPECT_TRUE(ValidateTrace(result.trace).empty());
  const TraceSummary s = Summarize(result.trace);
  EXPECT_EQ(s.requests, 12031);
  EXPECT_EQ(s.sessions, 12031);
  EXPECT_DOUBLE_EQ(s.duration_s, 3536.999);
  EXPECT_FALSE(s.duration_is_lower_bound);
  EXPECT_EQ(s.input_tokens.min, 891);
  EXPECT_EQ(s.input_tokens.p50, 6909);
  EXPECT_EQ(s.input_tokens.p90, 27367);
  EXPECT_EQ(s.input_tokens.p99, 85401);
  EXPECT_EQ(s.input_tokens.max, 126195);
  EXPECT_NEAR(s.input_tokens.mean, 144793823.0 / 12031, 1e-9);
  EXPECT_EQ(s.output_tokens.min, 1);
  EXPECT_EQ(s.output_tokens.p50, 350);
  EXPECT_EQ(s.output_tokens.p90, 597);
  EXPECT_EQ(s.output_tokens.p99, 1120);
  EXPECT_EQ(s.output_tokens.max, 2000);
  EXPECT_NEAR(s.output_tokens.mean, 4122048.0 / 12031, 1e-9);
  EXPECT_DOUBLE_EQ(s.mean_turns_per_session, 1.0);
}

// Python, in timestamp order (stable), with prefix semantics over full blocks only:
//   seen = set(); hit = 0
//   for r in rows: chain = (); stop = False
//     for i in range(r['input_length'] // 512):
//       chain += (r['hash_ids'][i],)
//       if not stop and chain in seen: hit += 512
//       else: stop = True
//       seen.add(chain)
//   hit -> 54063104 of 144793823 input tokens -> 0.373379905854133
TEST(RealTraces, MooncakePrefixReuseRatio) {
  const auto path = SharedTrace("mooncake_conversation_trace.jsonl");
  SKIP_UNLESS_EXISTS(path);
  const Trace trace = ImportTraceFile(path, {}).trace;
  EXPECT_NEAR(PrefixReuseRatio(trace), 54063104.0 / 144793823.0, 1e-12);
}

// The synthesized input of every request has exactly the trace's input_length tokens, the same
// hash id always gives the same tokens, and different ids give different blocks.
TEST(RealTraces, MooncakeTokenSynthesisIsExactAndConsistent) {
  const auto path = SharedTrace("mooncake_conversation_trace.jsonl");
  SKIP_UNLESS_EXISTS(path);
  const Trace trace = ImportTraceFile(path, {}).trace;
  const TokenSynthesizer synthesizer({.seed = 42}, trace.block_size_tokens);
  const auto block = static_cast<std::size_t>(trace.block_size_tokens);
  // First block content seen for each id, as a fingerprint of its first 8 tokens plus the
  // tokens themselves where the block is full.
  std::map<BlockHashId, std::vector<std::int32_t>> first_seen;
  std::set<std::vector<std::int32_t>> distinct_full_blocks;
  std::size_t full_block_ids = 0;
  for (const Session& session : trace.sessions) {
    const Request& r = session.turns[0];
    const auto tokens = synthesizer.Synthesize(r, RequestKey(session.id, 0));
    ASSERT_EQ(static_cast<std::int64_t>(tokens.size()), r.input_tokens) << "session " << session.id;
    for (std::size_t b = 0; b < r.block_hash_ids.size(); ++b) {
      const auto begin = tokens.begin() + static_cast<std::ptrdiff_t>(b * block);
      const auto end =
          tokens.begin() + static_cast<std::ptrdiff_t>(std::min(tokens.size(), (b + 1) * block));
      std::vector<std::int32_t> content(begin, end);
      auto [it, inserted] = first_seen.try_emplace(r.block_hash_ids[b], content);
      if (!inserted) {
        // A partial block is a prefix of the same id's tokens anywhere else.
        const std::size_t n = std::min(it->second.size(), content.size());
        ASSERT_TRUE(std::equal(content.begin(), content.begin() + static_cast<std::ptrdiff_t>(n),
                               it->second.begin()))
            << "hash id " << r.block_hash_ids[b] << " differs between requests";
        if (content.size() > it->second.size()) it->second = content;
      }
    }
  }
  for (const auto& [id, content] : first_seen) {
    if (content.size() == block) {
      ++full_block_ids;
      distinct_full_blocks.insert(content);
    }
  }
  EXPECT_GT(full_block_ids, 100000u);
  EXPECT_EQ(distinct_full_blocks.size(), full_block_ids) << "two hash ids gave the same block";
}

TEST(RealTraces, MooncakeRoundTripsThroughInfermeterJsonl) {
  const auto path = SharedTrace("mooncake_conversation_trace.jsonl");
  SKIP_UNLESS_EXISTS(path);
  const Trace trace = ImportTraceFile(path, {}).trace;
  const std::string text = ExportInfermeterJsonl(trace);
  const ImportResult again = ImportTraceText(text, "exported.jsonl", {});
  EXPECT_EQ(again.format, "infermeter-jsonl");
  EXPECT_TRUE(again.trace == trace);
  EXPECT_EQ(TraceContentHash(again.trace), TraceContentHash(trace));
  EXPECT_EQ(ExportInfermeterJsonl(again.trace), text);
}

// Python: rows = list(csv.DictReader(open('AzureLLMInferenceTrace_conv_2023.csv')));
//   timestamps parsed as UTC with 7 fraction digits:
//   len -> 19366, sorted -> True, first -> 1700158546680590000 ns,
//   max - min -> 3501721937000 ns
//   ContextTokens   min 2, p50 1020, p90 2735, p99 4142, max 14050
//   GeneratedTokens min 7, p50 129, p90 424, p99 601, max 1000
TEST(RealTraces, AzureConversationCountsAndStatistics) {
  const auto path = SharedTrace("AzureLLMInferenceTrace_conv_2023.csv");
  SKIP_UNLESS_EXISTS(path);
  const ImportResult result = ImportTraceFile(path, {});
  EXPECT_EQ(result.format, "azure");
  EXPECT_EQ(result.records_read, 19366);
  EXPECT_TRUE(ValidateTrace(result.trace).empty());
  ASSERT_TRUE(result.trace.start_unix_ns.has_value());
  EXPECT_EQ(*result.trace.start_unix_ns, 1700158546680590000);
  const TraceSummary s = Summarize(result.trace);
  EXPECT_EQ(s.requests, 19366);
  EXPECT_DOUBLE_EQ(s.duration_s, 3501.721937);
  EXPECT_EQ(s.input_tokens.min, 2);
  EXPECT_EQ(s.input_tokens.p50, 1020);
  EXPECT_EQ(s.input_tokens.p90, 2735);
  EXPECT_EQ(s.input_tokens.p99, 4142);
  EXPECT_EQ(s.input_tokens.max, 14050);
  EXPECT_EQ(s.output_tokens.min, 7);
  EXPECT_EQ(s.output_tokens.p50, 129);
  EXPECT_EQ(s.output_tokens.p90, 424);
  EXPECT_EQ(s.output_tokens.p99, 601);
  EXPECT_EQ(s.output_tokens.max, 1000);
  // No block information: nothing can be reused.
  EXPECT_EQ(s.prefix_reuse_ratio, 0.0);
  const Trace again = ImportTraceText(ExportInfermeterJsonl(result.trace), "x", {}).trace;
  EXPECT_TRUE(again == result.trace);
}

// Python: t = json.load(open('tau_bench_gpt-4o-airline.json'))
//   len(t) -> 200 trajectories, (task_id, trial) pairs unique -> 200
//   assistant messages -> 2454, of which with tool_calls -> 1164 (each with exactly one call)
//   tool messages -> 1164; all 200 system prompts are identical
TEST(RealTraces, TauBenchTrajectories) {
  const auto path = SharedTrace("tau_bench_gpt-4o-airline.json");
  SKIP_UNLESS_EXISTS(path);
  const ImportResult result = ImportTraceFile(path, {});
  EXPECT_EQ(result.format, "chat-trajectories");
  EXPECT_EQ(result.records_read, 200);
  const Trace& trace = result.trace;
  EXPECT_EQ(trace.token_count_method, "wordpiece-estimate-v1");
  const TraceSummary s = Summarize(trace);
  EXPECT_EQ(s.sessions, 200);
  EXPECT_EQ(s.requests, 2454);
  EXPECT_DOUBLE_EQ(s.mean_turns_per_session, 2454.0 / 200);
  EXPECT_TRUE(s.duration_is_lower_bound);
  std::int64_t tool_calls = 0;
  for (const Session& session : trace.sessions) {
    for (std::size_t t = 0; t < session.turns.size(); ++t) {
      const Request& r = session.turns[t];
      if (!r.metadata.tool_name.empty()) ++tool_calls;
      if (t > 0) {
        // Every call sees the whole history: inputs only grow, by at least the last answer.
        EXPECT_GT(r.input_tokens,
                  session.turns[t - 1].input_tokens + session.turns[t - 1].output_tokens - 1);
        EXPECT_EQ(r.after_turns, std::vector<std::int32_t>{static_cast<std::int32_t>(t - 1)});
      }
    }
  }
  EXPECT_EQ(tool_calls, 1164);
  // The identical system prompt is a shared prefix across sessions, and each call reuses its own
  // history: a large part of the input is reusable.
  EXPECT_GT(s.prefix_reuse_ratio, 0.8);
  // No execution times in this file: each tool result's time came from the default distribution.
  ASSERT_FALSE(result.notes.empty());
  EXPECT_NE(result.notes.back().find("1164 tool results"), std::string::npos)
      << result.notes.back();
  const Trace again = ImportTraceText(ExportInfermeterJsonl(trace), "x", {}).trace;
  EXPECT_TRUE(again == trace);
}

}  // namespace
}  // namespace infermeter::workloads
