#pragma once
// Seeded, deterministic workload generators: the same settings give the same trace, byte for
// byte, on every platform. Token lengths and times are Distribution values (random.h); lengths
// are in tokens, times in milliseconds.

#include <cstdint>

#include "infermeter/workloads/arrival.h"
#include "infermeter/workloads/random.h"
#include "infermeter/workloads/trace.h"

namespace infermeter::workloads {

// Single-turn requests. With prefix groups, request i belongs to group i % prefix_groups and its
// input starts with the group's shared prefix of prefix_tokens (shared in whole blocks:
// floor(prefix_tokens / B) blocks; the rest of the prefix and the unique part form the tail).
struct SyntheticSettings {
  std::int64_t requests = 1000;
  Distribution input_tokens{.kind = Distribution::Kind::kFixed, .a = 1024};  // after the prefix
  Distribution output_tokens{.kind = Distribution::Kind::kFixed, .a = 128};
  std::int64_t prefix_groups = 0;  // 0 = no shared prefixes
  std::int64_t prefix_tokens = 0;
  std::int64_t block_size_tokens = kDefaultBlockSizeTokens;
  ArrivalSettings arrivals;  // request arrivals
  std::uint64_t seed = 0;
};

// Document QA: each session is a document followed by questions; every question's input is the
// whole document (the shared prefix) plus the question. Questions follow each other: question k
// is asked think_time_ms after the answer to question k-1.
struct LongContextSettings {
  std::int64_t documents = 20;
  Distribution document_tokens{
      .kind = Distribution::Kind::kLognormal, .a = 32768, .b = 1.0, .min = 1, .max = 1'000'000};
  std::int64_t questions_per_document = 4;
  Distribution question_tokens{.kind = Distribution::Kind::kUniform, .a = 20, .b = 200};
  Distribution answer_tokens{.kind = Distribution::Kind::kUniform, .a = 50, .b = 500};
  Distribution think_time_ms{.kind = Distribution::Kind::kExponential, .a = 5000};
  std::int64_t block_size_tokens = kDefaultBlockSizeTokens;
  ArrivalSettings arrivals;  // document (session) arrivals
  std::uint64_t seed = 0;
};

// Agent sessions: a system prompt and tool schema shared by every session, then a user task.
// Each of the `turns` steps after the first appends the model's previous answer(s) and a tool
// result, after a tool latency. With probability parallel_probability a step fans out into
// parallel_calls concurrent requests (one per tool result, each on the shared history); the
// next step waits for all of them and sees all their results and answers.
struct AgenticSettings {
  std::int64_t sessions = 50;
  std::int64_t turns = 10;  // steps per session
  std::int64_t system_prompt_tokens = 2000;
  std::int64_t tool_schema_tokens = 3000;
  Distribution user_tokens{.kind = Distribution::Kind::kUniform, .a = 50, .b = 300};
  Distribution tool_result_tokens{
      .kind = Distribution::Kind::kLognormal, .a = 400, .b = 1.0, .min = 1, .max = 100000};
  Distribution answer_tokens{
      .kind = Distribution::Kind::kLognormal, .a = 150, .b = 0.8, .min = 1, .max = 8192};
  Distribution tool_latency_ms{.kind = Distribution::Kind::kLognormal, .a = 300, .b = 1.0};
  double parallel_probability = 0.0;
  std::int64_t parallel_calls = 3;
  std::int64_t block_size_tokens = kDefaultBlockSizeTokens;
  ArrivalSettings arrivals;  // session arrivals
  std::uint64_t seed = 0;
};

// Each throws InputError naming the setting when a setting is out of range.
Trace GenerateSynthetic(const SyntheticSettings& settings);
Trace GenerateLongContext(const LongContextSettings& settings);
Trace GenerateAgentic(const AgenticSettings& settings);

}  // namespace infermeter::workloads
