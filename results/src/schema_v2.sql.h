#pragma once
// Schema version 2: the host's measured peaks (`infermeter probe`). docs/RESULTS.md documents
// every column; keep the two in step.

namespace infermeter::results::detail {

inline constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE hardware_peaks (
  id               INTEGER PRIMARY KEY,
  measured_unix_ns INTEGER NOT NULL,
  host             TEXT    NOT NULL,
  cpu_model        TEXT    NOT NULL,
  logical_cores    INTEGER NOT NULL,
  metric           TEXT    NOT NULL
                   CHECK (metric IN ('gemm_flops_per_s', 'memory_bandwidth_bytes_per_s')),
  dtype            TEXT    NOT NULL DEFAULT '',
  value            REAL    NOT NULL,
  method           TEXT    NOT NULL,
  details          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);

CREATE INDEX hardware_peaks_by_metric
  ON hardware_peaks (host, metric, dtype, measured_unix_ns);
)sql";

}  // namespace infermeter::results::detail
