#pragma once
// infermeter's own trace format (infermeter-jsonl, specified in docs/WORKLOADS.md): a header
// line, then one JSON object per request. Lossless: import(export(t)) == t.

#include <string>

#include "infermeter/workloads/trace.h"

namespace infermeter::workloads {

// The canonical text: fixed key order, defaults left out, '\n' line ends.
std::string ExportInfermeterJsonl(const Trace& trace);
// Writes the text to `path` (replacing it). Throws Error when the file cannot be written.
void WriteInfermeterJsonlFile(const Trace& trace, const std::string& path);

// Content hash of a trace: FNV-1a (64-bit) over ExportInfermeterJsonl(trace), as
// "fnv1a64:<16 lowercase hex digits>". Equal traces have equal hashes in every build, so the
// hash of a trace survives export and re-import.
std::string TraceContentHash(const Trace& trace);

}  // namespace infermeter::workloads
