#pragma once
// Schema version 4: collectors. Each run keeps, per collector, how its figures were obtained
// (FLOP source, peak source, driver versions) or why it did not run. docs/RESULTS.md documents
// every column; keep the two in step.

namespace infermeter::results::detail {

inline constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE runs ADD COLUMN collectors TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(collectors));
)sql";

}  // namespace infermeter::results::detail
