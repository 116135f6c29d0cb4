#pragma once
// The trace model: what the harness replays. A plain data model (no behavior beyond validation
// and small derived quantities), so importers, generators and the harness can share it.
//
// Tokens of a request's input are described, not stored: a sequence of token blocks named by
// block hash ids (equal ids = equal blocks, so shared prefixes are explicit), then a unique tail.
// token_synthesis.h turns that description into token ids.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace infermeter::workloads {

using BlockHashId = std::uint64_t;

// Where a request came from and what it is; never affects replay.
struct RequestMetadata {
  std::int64_t source_line = 0;   // 1-based line (or record number) in the source file; 0 = none
  std::vector<std::string> tags;  // free-form, e.g. "failed", "model=GPT-4"
  std::string tool_name;          // tools this model call invokes, comma-separated; "" = none

  bool operator==(const RequestMetadata&) const = default;
};

// One model call (one turn of a session).
//
// When it is issued: if `after_turns` is empty, `arrival_offset_ns` after the trace start;
// otherwise `think_time_ns` after the last of `after_turns` (indices of earlier turns of the same
// session) has completed. Several turns listing the same predecessors run concurrently (parallel
// tool calls), and a turn listing all of them waits for every one (fan-in).
//
// Input: `block_hash_ids[i]` names tokens [i*B, (i+1)*B) of the input (B = the trace's
// block_size_tokens). The input is exactly `input_tokens` long:
//   - if input_tokens <= blocks*B, the last block is partial: only its first
//     input_tokens - (blocks-1)*B tokens are used (as in Mooncake, whose last block is partial);
//   - otherwise the blocks are followed by a unique tail of input_tokens - blocks*B tokens that
//     no other request shares.
// A request with no blocks is all tail.
struct Request {
  std::int64_t arrival_offset_ns = 0;  // used only when after_turns is empty
  std::vector<std::int32_t> after_turns;
  std::int64_t think_time_ns = 0;  // used only when after_turns is not empty
  std::vector<BlockHashId> block_hash_ids;
  std::int64_t input_tokens = 0;   // exact input length
  std::int64_t output_tokens = 0;  // requested output length (max_tokens); 0 = a recorded failure
  RequestMetadata metadata;

  bool operator==(const Request&) const = default;
};

// A sequence of dependent model calls (a conversation, an agent trajectory, or one request).
struct Session {
  std::string id;  // unique within the trace
  std::vector<Request> turns;

  bool operator==(const Session&) const = default;
};

inline constexpr std::int64_t kDefaultBlockSizeTokens = 512;

// A whole workload. Copyable value; not synchronized (share it read-only between threads).
struct Trace {
  std::vector<Session> sessions;
  std::int64_t block_size_tokens = kDefaultBlockSizeTokens;
  std::string source_format;       // format it was imported from or generator name
  std::string token_count_method;  // how token counts were obtained (see tokenizer_estimate.h)
  std::optional<std::int64_t> start_unix_ns;  // wall time of offset 0, when the source had it

  bool operator==(const Trace&) const = default;
};

// Tokens covered by full blocks, and the unique tail (see Request).
std::int64_t FullBlockCount(const Request& request, std::int64_t block_size_tokens);
std::int64_t TailTokens(const Request& request, std::int64_t block_size_tokens);
std::int64_t RequestCount(const Trace& trace);

// Checks every invariant stated above; returns one message per problem ("session 'x' turn 3:
// ..."), empty when the trace is valid.
std::vector<std::string> ValidateTrace(const Trace& trace);
// Throws infermeter::Error listing the first problems when ValidateTrace finds any.
void CheckTrace(const Trace& trace, const std::string& source);

}  // namespace infermeter::workloads
