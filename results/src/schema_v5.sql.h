#pragma once
// Schema version 5: per-request HTTP phases and reasoning output. Requests get when the
// connection was ready and when the response's first byte arrived (HTTP engines), when the
// first visible (non-reasoning) token arrived, and how many output tokens were reasoning.
// docs/RESULTS.md documents every column; keep the two in step.

namespace infermeter::results::detail {

inline constexpr const char* kSchemaV5 = R"sql(
ALTER TABLE requests ADD COLUMN connected_ns INTEGER;
ALTER TABLE requests ADD COLUMN first_byte_ns INTEGER;
ALTER TABLE requests ADD COLUMN first_visible_token_ns INTEGER;
ALTER TABLE requests ADD COLUMN reasoning_tokens INTEGER;
)sql";

}  // namespace infermeter::results::detail
