#pragma once
// Schema version 1. docs/RESULTS.md documents every column; keep the two in step.

namespace infermeter::results::detail {

inline constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE runs (
  id                        INTEGER PRIMARY KEY,
  name                      TEXT    NOT NULL,
  created_unix_ns           INTEGER NOT NULL,
  finished_unix_ns          INTEGER,
  status                    TEXT    NOT NULL
                            CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
  engine                    TEXT    NOT NULL,
  model                     TEXT    NOT NULL,
  hardware                  TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(hardware)),
  workload_name             TEXT    NOT NULL,
  workload_hash             TEXT    NOT NULL,
  config                    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
  labels                    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(labels)),
  infermeter_version        TEXT    NOT NULL,
  git_revision              TEXT,
  clock_origin_unix_ns      INTEGER NOT NULL,
  clock_origin_monotonic_ns INTEGER NOT NULL
);

CREATE TABLE requests (
  run_id                  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  request_id              INTEGER NOT NULL,
  session_id              TEXT,
  turn_index              INTEGER,
  scheduled_ns            INTEGER NOT NULL,
  sent_ns                 INTEGER,
  first_token_ns          INTEGER,
  last_token_ns           INTEGER,
  done_ns                 INTEGER,
  input_tokens            INTEGER NOT NULL,
  cached_tokens           INTEGER NOT NULL DEFAULT 0,
  output_tokens           INTEGER NOT NULL DEFAULT 0,
  requested_output_tokens INTEGER,
  finish_reason           TEXT,
  status                  TEXT    NOT NULL,
  error_class             TEXT,
  error_message           TEXT,
  PRIMARY KEY (run_id, request_id)
) WITHOUT ROWID;
-- No CHECK constraints on `requests`: they cost more than the rest of an insert (measured while
-- tuning the writer), and every row comes through ResultsWriter, which checks token counts and
-- takes `status` from an enum.

CREATE TABLE request_chunks (
  run_id      INTEGER NOT NULL,
  request_id  INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL,
  data        BLOB    NOT NULL,
  PRIMARY KEY (run_id, request_id),
  -- References the run rather than the request: the check then costs a lookup in the small
  -- `runs` table instead of the large `requests` one, and deleting a run still deletes these.
  FOREIGN KEY (run_id) REFERENCES runs(id) ON DELETE CASCADE
);

CREATE TABLE samples (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  time_ns INTEGER NOT NULL,
  source  TEXT    NOT NULL,
  metric  TEXT    NOT NULL,
  labels  TEXT    NOT NULL DEFAULT '{}',
  value   REAL    NOT NULL
);
CREATE INDEX samples_by_metric ON samples (run_id, metric, time_ns);

CREATE TABLE run_metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name   TEXT    NOT NULL,
  value  REAL    NOT NULL,
  unit   TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
)sql";

}  // namespace infermeter::results::detail
