#pragma once
// What an inference server says about itself on `GET /metrics`, in one normalized shape: which
// server produced a scrape (vLLM, SGLang, TGI, Triton with the TensorRT-LLM backend,
// trtllm-serve, llama.cpp, MindIE), and its KV-cache use, queue and counters as figures every
// server can fill. Each figure remembers the metric it came from and how series were combined,
// so a run's record can say where a number came from. The mapping table, the detection rules
// and the choices for several engines are in docs/COLLECTORS.md ("Inference-server metrics").
//
// Fetching the body is not part of this: see prometheus_text.h for the parser and
// server_metrics_collector.h for the scraping loop.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/collectors/prometheus_text.h"
#include "infermeter/core/ids.h"
#include "infermeter/results/records.h"

namespace infermeter::collectors {

enum class ServerKind {
  kUnknown,
  kVllm,         // `vllm:` (also vllm-ascend and vLLM-compatible simulators)
  kSglang,       // `sglang:`
  kTgi,          // `tgi_`
  kTriton,       // `nv_trt_llm_` (TensorRT-LLM backend) or `nv_inference_` (Triton itself)
  kTrtllmServe,  // `trtllm_`
  kLlamaCpp,     // `llamacpp:`
  kMindIe,       // unprefixed `npu_cache_usage_perc`, or `num_requests_running` together with
                 // `request_received_total`
};
// "unknown", "vllm", "sglang", "tgi", "triton", "trtllm-serve", "llama.cpp", "mindie"
std::string_view ToString(ServerKind kind);

// The server whose metric names the scrape carries, by the rules above, tried in this order:
// vLLM, SGLang, llama.cpp, Triton, trtllm-serve, TGI, MindIE. Unknown when none matches.
ServerKind DetectServer(const PromScrape& scrape);

// One normalized figure and where it came from.
struct ServerFigure {
  double value = 0;
  // The source metric, as a PromQL-like selector: "vllm:kv_cache_usage_perc",
  // "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"max\"} * ...{...=\"tokens_per\"}".
  std::string source;
  std::size_t series = 0;  // how many series were combined
  std::string combine;     // "sum" or "mean" when series > 1, else ""
  // Labels whose values differ between the combined series ("engine", "tp_rank").
  std::vector<std::string> varying_labels;
  std::string note;  // "read as a percent: 30 -> 0.3"; "" if none
};

struct ServerMetrics {
  ServerKind server = ServerKind::kUnknown;
  std::string mapping;  // the mapping used: ToString(server)

  // Every figure is optional: a server that does not export it leaves it empty (unknown, never 0).
  std::optional<ServerFigure> kv_usage_ratio;      // 0..1, mean over series
  std::optional<ServerFigure> kv_used_tokens;      // summed over series
  std::optional<ServerFigure> kv_capacity_tokens;  // tokens, not bytes: times the model's
                                                   // KV bytes per token for bytes
  std::optional<ServerFigure> running_requests;
  std::optional<ServerFigure> waiting_requests;
  std::optional<ServerFigure> preemptions_total;  // vLLM preemptions, SGLang retractions
  // Tokens; blocks for vLLM's old gpu_ names where their HELP says so (the figure's note).
  std::optional<ServerFigure> prefix_cache_hits_total;
  std::optional<ServerFigure> prefix_cache_queries_total;
  std::optional<ServerFigure> prompt_tokens_total;
  std::optional<ServerFigure> generation_tokens_total;

  // Series left out, and why: "kv_usage_ratio: npu_cache_usage_perc{...} is 250, neither a
  // ratio nor a percent; left out", "kv_capacity_tokens: vllm:cache_config_info{...} has
  // num_gpu_blocks=\"None\", block_size=\"16\"; left out".
  std::vector<std::string> notes;
};

// Maps a scrape with the mapping of `server` (DetectServer's answer unless the caller knows
// better). Counts (requests, tokens, counters) are summed over the series of the source metric
// (vLLM's `engine`, SGLang's data-parallel ranks, several models); ratios are averaged. A series
// whose value is NaN is left out of both; a figure whose series are all NaN is left empty.
ServerMetrics NormalizeServerMetrics(const PromScrape& scrape, ServerKind server);
ServerMetrics NormalizeServerMetrics(const PromScrape& scrape);  // detects the server

// The mapping as JSON for the run's record: {"server": "vllm", "fields": {"kv_usage_ratio":
// {"source": "vllm:kv_cache_usage_perc", "series": 2, "combine": "mean", "varying_labels":
// ["engine"]}, ...}, "notes": [...]}. Fields the server did not give are absent.
std::string ServerMetricsRecordJson(const ServerMetrics& metrics);

struct ServerSampleOptions {
  // For an unknown server, at most this many gauge, counter and untyped series are stored
  // verbatim per scrape (in the scrape's order); the rest are counted in raw_series_dropped.
  std::size_t max_raw_series = 256;
  // Longer label values are cut (at a UTF-8 boundary) and end in "...".
  std::size_t max_label_value_bytes = 256;
};

struct ServerSamples {
  std::vector<results::SampleRecord> rows;
  std::size_t raw_series_dropped = 0;
};

// The rows one scrape gives the `samples` table, source "server", stamped `time_ns`:
// server_kv_usage_ratio, server_kv_used_tokens, server_kv_capacity_tokens,
// server_running_requests, server_waiting_requests, server_preemptions_total,
// server_prefix_cache_hits_total, server_prefix_cache_queries_total, server_prompt_tokens_total,
// server_generation_tokens_total (each when the figure is known; labels "{}"). For an unknown
// server, also every finite gauge, counter and untyped sample verbatim as "raw:<sample name>"
// with its labels as labels_json, up to options.max_raw_series (counters' `_created` stamps
// are left out).
ServerSamples ServerSampleRecords(const PromScrape& scrape, const ServerMetrics& metrics,
                                  RunId run_id, std::int64_t time_ns,
                                  const ServerSampleOptions& options = {});

}  // namespace infermeter::collectors
