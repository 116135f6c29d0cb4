#pragma once
// Our own reader of the Prometheus text exposition format (version 0.0.4), the `GET /metrics`
// body of vLLM, SGLang, TGI, Triton/TensorRT-LLM, llama.cpp and MindIE. It also reads the
// OpenMetrics text these servers may send instead: `# UNIT` lines, `_created` samples, exemplars
// after a sample (ignored) and the closing `# EOF`.
//
// Samples are grouped into families the way Prometheus groups them: a histogram's `_bucket`,
// `_sum` and `_count` (and `_created`) go with the family its `# TYPE` line named, a counter's
// `_total` with its base name, and a sample with no `# TYPE` above it is a family of its own
// (type untyped). Labels are sorted by name. Anything that is not this format is an InputError
// naming the source, the line and what was expected; the parser never reads past the body, and
// its sizes are bounded (PromParseLimits).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace infermeter::collectors {

enum class PromMetricType {
  kCounter,
  kGauge,
  kHistogram,
  kSummary,
  kUntyped,         // "untyped" (0.0.4), "unknown" (OpenMetrics), or no `# TYPE` line at all
  kGaugeHistogram,  // OpenMetrics only
  kInfo,            // OpenMetrics only
  kStateSet,        // OpenMetrics only
};
std::string_view ToString(PromMetricType type);  // "counter", "gauge", …, "untyped"

// Labels of one sample, sorted by name; names are unique.
using PromLabels = std::vector<std::pair<std::string, std::string>>;

struct PromSample {
  std::string name;  // the full sample name: "vllm:e2e_request_latency_seconds_bucket"
  PromLabels labels;
  double value = 0;  // NaN, +Inf and -Inf as written
  // As written: milliseconds since the epoch in 0.0.4, seconds in OpenMetrics.
  std::optional<double> timestamp;
  std::int64_t line = 0;  // 1-based line of the body

  // The value of label `name`, or nullopt.
  std::optional<std::string_view> Label(std::string_view label_name) const;
};

struct PromFamily {
  std::string name;  // "vllm:e2e_request_latency_seconds", "vllm:num_preemptions_total"
  PromMetricType type = PromMetricType::kUntyped;
  bool typed = false;               // a `# TYPE` line named it
  std::string help;                 // `# HELP` text with its escapes (\\ and \n) undone; "" if none
  std::string unit;                 // `# UNIT` (OpenMetrics); "" if none
  std::vector<PromSample> samples;  // in the order of the body
};

struct PromScrape {
  std::string source;                // the URL or file it came from
  std::vector<PromFamily> families;  // in order of first appearance
  bool openmetrics = false;          // the body ended with `# EOF` or had `# UNIT` lines

  // The family named `name`, or nullptr.
  const PromFamily* Find(std::string_view name) const;
  std::size_t SampleCount() const;
};

// Bounds on what one body may hold; beyond them the parse fails with a clear error instead of
// growing without limit.
struct PromParseLimits {
  std::size_t max_body_bytes = 32u << 20;  // a vLLM scrape is 0.1-1 MB
  std::size_t max_samples = 1'000'000;     // over the whole body
  std::size_t max_labels_per_sample = 64;  // vLLM's cache_config_info has ~20
  std::size_t max_label_value_bytes = 1u << 20;
};

// Parses one body. `source` names it in errors ("http://10.0.0.5:8000/metrics:12: expected '='
// after label name 'model'"). Throws InputError on:
// - a line that is neither a comment nor a sample, a name that is not a metric or label name,
//   a missing '=', '"', ',' or '}', an unterminated label value, a duplicate label name;
// - a value or timestamp that is not a number (NaN, +Inf and -Inf are numbers);
// - `# TYPE` with an unknown type, a second `# TYPE` or `# HELP` for one family, `# TYPE` after
//   the family's first sample, a histogram bucket without `le`, a summary quantile without
//   `quantile`, a sample a typed family cannot have (`x` in histogram `x`);
// - the same series (name and labels) twice;
// - content after `# EOF`;
// - a body, sample count, label count or label value over `limits`.
// Blank lines, other `#` comments, CR before LF and spaces or tabs between tokens are accepted;
// an unknown escape in a label value (`\t`) is kept as written, as Prometheus keeps it.
PromScrape ParsePrometheusText(std::string_view body, const std::string& source,
                               const PromParseLimits& limits = {});

}  // namespace infermeter::collectors
