#pragma once
// A results file for the desktop dashboard's tests and screenshots: several runs of
// DeepSeek-V4-Flash behind an OpenAI-compatible server on two kinds of hardware (8 x H100 and
// 8 x Ascend 910B3), written through the real results API (ResultsStore, ResultsWriter) with
// the figures the real code computes: the harness's latency collector summarises the requests
// (run_metrics and the `requests` series), the FLOPs, KV-cache and energy collectors summarise
// what they would have seen, and the harness judges validity. Device telemetry (NVML, Ascend)
// and the system collector's readings are simulated with the names and labels the collectors
// store.
//
// Everything is deterministic (fixed seeds, fixed monotonic times and wall-clock times), so two
// files written by this code hold the same rows, except for `runs.infermeter_version` and
// `runs.git_revision`, which are the building tree's.
//
// What the six runs are (README.md in this folder has the figures):
//   h100_chat, ascend_chat          workload "chat": 1,500 requests, closed loop of 64, the same
//                                   workload_hash on both, VALID. Ascend ~0.7x the throughput,
//                                   higher TTFT and TPOT.
//   h100_agentic, ascend_agentic    workload "agentic": 16 agents running 96 sessions of 3-8
//                                   turns (session_id, turn_index, tool time between turns),
//                                   the same workload_hash on both, VALID.
//   h100_failed_requests            workload "chat-burst": an open-loop burst on the H100 server
//                                   that overloads it; http_503 and timeout failures, INVALID
//                                   with the harness's reason.
//   running                         workload "chat-soak" on the H100 server, still `running`:
//                                   the requests finished so far and the live samples; no
//                                   run_metrics, no validity, collectors `{}`.

#include <string>

#include "infermeter/core/ids.h"

namespace infermeter::testing {

struct FixtureRuns {
  RunId h100_chat;
  RunId h100_agentic;
  RunId h100_failed_requests;
  RunId ascend_chat;
  RunId ascend_agentic;
  RunId running;
};

// Adds the six runs to the results file at `db_path` (created when missing; an existing file
// keeps its runs). Takes well under 2 s in the release build. Throws Error when the file cannot
// be written.
FixtureRuns WriteDashboardFixture(const std::string& db_path);

}  // namespace infermeter::testing
