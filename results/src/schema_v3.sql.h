#pragma once
// Schema version 3: the harness (`infermeter run`). Runs get a validity verdict and may belong to
// a group (a sweep, a max-goodput search, the default suite); requests get the time a
// concurrency cap released them and the engine's own queue time. docs/RESULTS.md documents every
// column; keep the two in step.

namespace infermeter::results::detail {

inline constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE run_groups (
  id              INTEGER PRIMARY KEY,
  kind            TEXT    NOT NULL CHECK (kind IN ('suite', 'sweep', 'goodput_search', 'repeat')),
  name            TEXT    NOT NULL,
  created_unix_ns INTEGER NOT NULL,
  config          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
  result          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(result))
);

ALTER TABLE runs ADD COLUMN validity TEXT CHECK (validity IN ('valid', 'invalid'));
ALTER TABLE runs ADD COLUMN validity_reasons TEXT NOT NULL DEFAULT '[]'
  CHECK (json_valid(validity_reasons));
ALTER TABLE runs ADD COLUMN group_id INTEGER REFERENCES run_groups(id) ON DELETE SET NULL;
ALTER TABLE runs ADD COLUMN group_point TEXT;

ALTER TABLE requests ADD COLUMN released_ns INTEGER;
ALTER TABLE requests ADD COLUMN engine_queue_ns INTEGER;
)sql";

}  // namespace infermeter::results::detail
