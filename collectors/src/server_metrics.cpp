#include "infermeter/collectors/server_metrics.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <map>
#include <set>
#include <span>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace infermeter::collectors {
namespace {

using SampleList = std::vector<const PromSample*>;

// Every sample of a scrape by its full name, with the family it belongs to.
class SampleIndex {
 public:
  explicit SampleIndex(const PromScrape& scrape) {
    for (const PromFamily& family : scrape.families) {
      for (const PromSample& sample : family.samples) {
        by_name_[sample.name].push_back(&sample);
        family_of_.emplace(&sample, &family);
      }
    }
  }

  // The samples named `name`; with `label`, only those whose label `label` is `value`.
  SampleList Get(std::string_view name, std::string_view label = {},
                 std::string_view value = {}) const {
    const auto it = by_name_.find(name);
    if (it == by_name_.end()) return {};
    if (label.empty()) return it->second;
    SampleList out;
    for (const PromSample* sample : it->second) {
      if (sample->Label(label) == value) out.push_back(sample);
    }
    return out;
  }

  const PromFamily* FamilyOf(const PromSample* sample) const {
    const auto it = family_of_.find(sample);
    return it == family_of_.end() ? nullptr : it->second;
  }

 private:
  std::unordered_map<std::string_view, SampleList> by_name_;
  std::unordered_map<const PromSample*, const PromFamily*> family_of_;
};

std::string SeriesText(const PromSample& sample) {
  std::string text = sample.name;
  if (sample.labels.empty()) return text;
  text += '{';
  for (std::size_t i = 0; i < sample.labels.size(); ++i) {
    text += fmt::format("{}{}=\"{}\"", i == 0 ? "" : ",", sample.labels[i].first,
                        sample.labels[i].second);
  }
  return text + '}';
}

// "name" or "name{label=\"value\"}": how a figure names its source.
std::string Selector(std::string_view name, std::string_view label = {},
                     std::string_view value = {}) {
  if (label.empty()) return std::string(name);
  return fmt::format("{}{{{}=\"{}\"}}", name, label, value);
}

// Label names whose values are not the same in every sample (a label missing from some counts).
std::vector<std::string> VaryingLabels(const SampleList& samples) {
  std::set<std::string> names;
  for (const PromSample* sample : samples) {
    for (const auto& label : sample->labels) names.insert(label.first);
  }
  std::vector<std::string> varying;
  for (const std::string& name : names) {
    const std::optional<std::string_view> first = samples.front()->Label(name);
    for (const PromSample* sample : samples) {
      if (sample->Label(name) != first) {
        varying.push_back(name);
        break;
      }
    }
  }
  return varying;
}

enum class Combine { kSum, kMean };

// The figure of one field, built from the samples of one source metric.
class FieldBuilder {
 public:
  FieldBuilder(const SampleIndex& index, std::vector<std::string>& notes, std::string_view field)
      : index_(index), notes_(notes), field_(field) {}

  // Sums or averages `samples`, leaving out the ones that are not finite. With `ratio`, each
  // value is read as 0..1, or as a percent when it is over 1 and at most 100 (MindIE's
  // npu_cache_usage_perc says "1 means 100 percent" and shows 30); anything else is left out.
  std::optional<ServerFigure> Combined(const SampleList& samples, std::string source, Combine how,
                                       bool ratio = false) {
    if (samples.empty()) return std::nullopt;
    SampleList used;
    double total = 0;
    std::string percent_note;
    for (const PromSample* sample : samples) {
      double value = sample->value;
      if (!std::isfinite(value)) {
        Note(fmt::format("{} is {}; left out", SeriesText(*sample), value));
        continue;
      }
      if (ratio) {
        if (value < 0 || value > 100) {
          Note(fmt::format("{} is {}, neither a ratio nor a percent; left out", SeriesText(*sample),
                           value));
          continue;
        }
        if (value > 1) {
          if (percent_note.empty()) {
            percent_note = fmt::format("read as a percent: {} -> {}", value, value / 100);
          }
          value /= 100;
        }
      }
      total += value;
      used.push_back(sample);
    }
    if (used.empty()) return std::nullopt;
    ServerFigure figure;
    figure.series = used.size();
    figure.value = how == Combine::kMean ? total / static_cast<double>(used.size()) : total;
    if (used.size() > 1) {
      figure.combine = how == Combine::kMean ? "mean" : "sum";
      figure.varying_labels = VaryingLabels(used);
    }
    figure.source = std::move(source);
    figure.note = std::move(percent_note);
    return figure;
  }

  struct Candidate {
    std::string_view name;
    std::string_view label = {};
    std::string_view value = {};
  };

  // The first candidate the scrape has samples of, combined. A counter named "x_total" is also
  // looked up as "x" (vLLM-compatible simulators write counters without the suffix).
  std::optional<ServerFigure> FirstOf(std::initializer_list<Candidate> candidates, Combine how,
                                      bool ratio = false) {
    return FirstOf(std::span<const Candidate>(candidates.begin(), candidates.size()), how, ratio);
  }
  std::optional<ServerFigure> FirstOf(std::span<const Candidate> candidates, Combine how,
                                      bool ratio = false) {
    constexpr std::string_view kTotal = "_total";
    for (const Candidate& c : candidates) {
      std::string_view name = c.name;
      SampleList samples = index_.Get(name, c.label, c.value);
      if (samples.empty() && name.ends_with(kTotal)) {
        name.remove_suffix(kTotal.size());
        samples = index_.Get(name, c.label, c.value);
      }
      if (samples.empty()) continue;
      std::optional<ServerFigure> figure =
          Combined(samples, Selector(name, c.label, c.value), how, ratio);
      if (figure) AddHelpNote(*figure, samples);
      return figure;
    }
    return std::nullopt;
  }

  // Series of `a` and `b` paired by their labels (without `drop_label`). Missing partners are
  // noted and make the pairing fail: a partial sum would look like a whole one.
  struct Pair {
    const PromSample* a;
    const PromSample* b;
  };
  std::optional<std::vector<Pair>> Paired(const SampleList& a, const SampleList& b,
                                          std::string_view drop_label) {
    if (a.empty() || b.empty()) return std::nullopt;
    std::map<std::string, const PromSample*> by_key;
    for (const PromSample* sample : b) by_key.emplace(KeyWithout(*sample, drop_label), sample);
    std::vector<Pair> pairs;
    for (const PromSample* sample : a) {
      const auto it = by_key.find(KeyWithout(*sample, drop_label));
      if (it == by_key.end()) {
        Note(fmt::format("{} has no matching series of '{}'; left out", SeriesText(*sample),
                         b.front()->name));
        return std::nullopt;
      }
      pairs.push_back({sample, it->second});
    }
    return pairs;
  }

  // Σ a × b over paired series (blocks × tokens per block).
  std::optional<ServerFigure> Product(const SampleList& a, const SampleList& b,
                                      std::string_view drop_label, std::string source) {
    const auto pairs = Paired(a, b, drop_label);
    if (!pairs) return std::nullopt;
    return FromPairs(*pairs, std::move(source), Combine::kSum,
                     [](double x, double y) -> std::optional<double> { return x * y; });
  }

  // Mean of a / b over paired series (used blocks / max blocks); pairs with b = 0 are skipped.
  std::optional<ServerFigure> Ratio(const SampleList& a, const SampleList& b,
                                    std::string_view drop_label, std::string source) {
    const auto pairs = Paired(a, b, drop_label);
    if (!pairs) return std::nullopt;
    return FromPairs(*pairs, std::move(source), Combine::kMean,
                     [](double x, double y) -> std::optional<double> {
                       if (y <= 0) return std::nullopt;
                       return x / y;
                     });
  }

  template <typename Op>
  std::optional<ServerFigure> FromPairs(const std::vector<Pair>& pairs, std::string source,
                                        Combine how, Op op) {
    SampleList used;
    double total = 0;
    for (const Pair& pair : pairs) {
      const std::optional<double> value = op(pair.a->value, pair.b->value);
      if (!value || !std::isfinite(*value)) {
        Note(fmt::format("{} with {} gives no number; left out", SeriesText(*pair.a),
                         SeriesText(*pair.b)));
        continue;
      }
      total += *value;
      used.push_back(pair.a);
    }
    if (used.empty()) return std::nullopt;
    ServerFigure figure;
    figure.series = used.size();
    figure.value = how == Combine::kMean ? total / static_cast<double>(used.size()) : total;
    if (used.size() > 1) {
      figure.combine = how == Combine::kMean ? "mean" : "sum";
      figure.varying_labels = VaryingLabels(used);
    }
    figure.source = std::move(source);
    return figure;
  }

  void Note(const std::string& text) { notes_.push_back(fmt::format("{}: {}", field_, text)); }

 private:
  static std::string KeyWithout(const PromSample& sample, std::string_view drop_label) {
    std::string key;
    for (const auto& [name, value] : sample.labels) {
      if (name == drop_label) continue;
      key += name;
      key += '\x02';
      key += value;
      key += '\x01';
    }
    return key;
  }

  // vLLM's early V1 prefix-cache counters counted blocks, and say so in their HELP text.
  void AddHelpNote(ServerFigure& figure, const SampleList& samples) const {
    if (field_.find("prefix_cache") == std::string_view::npos) return;
    const PromFamily* family = index_.FamilyOf(samples.front());
    if (family != nullptr && family->help.find("blocks") != std::string::npos) {
      figure.note = "counts blocks, not tokens (its HELP text says so)";
    }
  }

  const SampleIndex& index_;
  std::vector<std::string>& notes_;
  std::string_view field_;
};

std::optional<std::int64_t> ParseCount(std::optional<std::string_view> text) {
  if (!text || text->empty()) return std::nullopt;
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size() || value < 0) return std::nullopt;
  return value;
}

// ---------------------------------------------------------------------------------------------
// One mapping per server.

// A figure read straight from the first of its source metrics the scrape has: most of every
// server's mapping is a list of these. Figures computed from several metrics (products,
// per-engine sums, ratios of blocks) stay in code in each Map function.
struct DirectField {
  std::optional<ServerFigure> ServerMetrics::*field;
  std::string_view name;  // as in the record: "running_requests"
  std::vector<FieldBuilder::Candidate> sources;
  Combine how = Combine::kSum;
  bool ratio = false;  // read as 0..1, or as a percent when over 1
};

void MapDirect(const SampleIndex& index, ServerMetrics& m, const std::vector<DirectField>& fields) {
  for (const DirectField& f : fields) {
    FieldBuilder builder(index, m.notes, f.name);
    m.*f.field =
        builder.FirstOf(std::span<const FieldBuilder::Candidate>(f.sources), f.how, f.ratio);
  }
}

using M = ServerMetrics;
using C = FieldBuilder::Candidate;

void MapVllm(const SampleIndex& index, ServerMetrics& m) {
  MapDirect(index, m,
            {{&M::kv_usage_ratio,
              "kv_usage_ratio",
              {C{"vllm:kv_cache_usage_perc"}, C{"vllm:gpu_cache_usage_perc"}},
              Combine::kMean,
              true}});

  // Capacity: num_gpu_blocks × block_size of each engine's cache_config_info (tokens).
  FieldBuilder capacity(index, m.notes, "kv_capacity_tokens");
  std::map<std::string, double> capacity_by_engine;  // engine label ("" if none) -> tokens
  SampleList capacity_series;
  for (const PromSample* info : index.Get("vllm:cache_config_info")) {
    const std::optional<std::int64_t> blocks = ParseCount(info->Label("num_gpu_blocks"));
    const std::optional<std::int64_t> block_size = ParseCount(info->Label("block_size"));
    const std::string engine(info->Label("engine").value_or(""));
    if (!blocks || !block_size) {
      capacity.Note(fmt::format("{} has num_gpu_blocks=\"{}\", block_size=\"{}\"; left out",
                                SeriesText(*info), info->Label("num_gpu_blocks").value_or(""),
                                info->Label("block_size").value_or("")));
      continue;
    }
    if (!capacity_by_engine
             .emplace(engine, static_cast<double>(*blocks) * static_cast<double>(*block_size))
             .second) {
      capacity.Note(
          fmt::format("{} repeats engine \"{}\"; counted once", SeriesText(*info), engine));
      continue;
    }
    capacity_series.push_back(info);
  }
  if (!capacity_series.empty()) {
    ServerFigure figure;
    for (const auto& [engine, tokens] : capacity_by_engine) figure.value += tokens;
    figure.series = capacity_series.size();
    if (figure.series > 1) {
      figure.combine = "sum";
      figure.varying_labels = {"engine"};
    }
    figure.source = "vllm:cache_config_info{num_gpu_blocks} * vllm:cache_config_info{block_size}";
    m.kv_capacity_tokens = figure;
  }

  // Used tokens: each engine's usage times its capacity, when every engine has both.
  if (m.kv_usage_ratio && !capacity_by_engine.empty()) {
    const std::string usage_name = m.kv_usage_ratio->source;
    FieldBuilder used(index, m.notes, "kv_used_tokens");
    double tokens = 0;
    std::size_t series = 0;
    bool complete = true;
    for (const PromSample* usage : index.Get(usage_name)) {
      if (!std::isfinite(usage->value) || usage->value < 0 || usage->value > 100) continue;
      const auto it = capacity_by_engine.find(std::string(usage->Label("engine").value_or("")));
      if (it == capacity_by_engine.end()) {
        used.Note(
            fmt::format("{} has no cache_config_info of its engine; left out", SeriesText(*usage)));
        complete = false;
        break;
      }
      const double fraction = usage->value > 1 ? usage->value / 100 : usage->value;
      tokens += fraction * it->second;
      ++series;
    }
    if (complete && series > 0) {
      ServerFigure figure;
      figure.value = tokens;
      figure.series = series;
      if (series > 1) {
        figure.combine = "sum";
        figure.varying_labels = {"engine"};
      }
      figure.source = usage_name + " * kv_capacity_tokens (per engine)";
      m.kv_used_tokens = figure;
    }
  }

  MapDirect(index, m,
            {{&M::running_requests, "running_requests", {C{"vllm:num_requests_running"}}},
             {&M::waiting_requests, "waiting_requests", {C{"vllm:num_requests_waiting"}}},
             {&M::preemptions_total, "preemptions_total", {C{"vllm:num_preemptions_total"}}},
             {&M::prefix_cache_hits_total,
              "prefix_cache_hits_total",
              {C{"vllm:prefix_cache_hits_total"}, C{"vllm:gpu_prefix_cache_hits_total"}}},
             {&M::prefix_cache_queries_total,
              "prefix_cache_queries_total",
              {C{"vllm:prefix_cache_queries_total"}, C{"vllm:gpu_prefix_cache_queries_total"}}},
             {&M::prompt_tokens_total, "prompt_tokens_total", {C{"vllm:prompt_tokens_total"}}},
             {&M::generation_tokens_total,
              "generation_tokens_total",
              {C{"vllm:generation_tokens_total"}}}});
}

void MapSglang(const SampleIndex& index, ServerMetrics& m) {
  MapDirect(
      index, m,
      {{&M::kv_usage_ratio, "kv_usage_ratio", {C{"sglang:token_usage"}}, Combine::kMean, true},
       {&M::kv_used_tokens, "kv_used_tokens", {C{"sglang:num_used_tokens"}}},
       {&M::kv_capacity_tokens, "kv_capacity_tokens", {C{"sglang:max_total_num_tokens"}}},
       {&M::running_requests, "running_requests", {C{"sglang:num_running_reqs"}}},
       {&M::waiting_requests, "waiting_requests", {C{"sglang:num_queue_reqs"}}},
       {&M::preemptions_total, "preemptions_total", {C{"sglang:num_retracted_requests_total"}}},
       {&M::prefix_cache_hits_total, "prefix_cache_hits_total", {C{"sglang:cached_tokens_total"}}},
       {&M::prefix_cache_queries_total,
        "prefix_cache_queries_total",
        {C{"sglang:prompt_tokens_total"}}},
       {&M::prompt_tokens_total, "prompt_tokens_total", {C{"sglang:prompt_tokens_total"}}},
       {&M::generation_tokens_total,
        "generation_tokens_total",
        {C{"sglang:generation_tokens_total"}}}});
}

void MapTgi(const SampleIndex& index, ServerMetrics& m) {
  // The token totals are per-request histograms' sums: they count finished requests' tokens.
  MapDirect(index, m,
            {{&M::running_requests, "running_requests", {C{"tgi_batch_current_size"}}},
             {&M::waiting_requests, "waiting_requests", {C{"tgi_queue_size"}}},
             {&M::prompt_tokens_total, "prompt_tokens_total", {C{"tgi_request_input_length_sum"}}},
             {&M::generation_tokens_total,
              "generation_tokens_total",
              {C{"tgi_request_generated_tokens_sum"}}}});
}

void MapTriton(const SampleIndex& index, ServerMetrics& m) {
  constexpr std::string_view kBlocks = "nv_trt_llm_kv_cache_block_metrics";
  constexpr std::string_view kType = "kv_cache_block_type";
  const SampleList max_blocks = index.Get(kBlocks, kType, "max");
  const SampleList used_blocks = index.Get(kBlocks, kType, "used");
  const SampleList tokens_per = index.Get(kBlocks, kType, "tokens_per");

  FieldBuilder ratio(index, m.notes, "kv_usage_ratio");
  m.kv_usage_ratio = ratio.FirstOf({C{kBlocks, kType, "fraction"}}, Combine::kMean, true);
  if (!m.kv_usage_ratio) {  // backends before the "fraction" type (tensorrtllm_backend#592)
    m.kv_usage_ratio =
        ratio.Ratio(used_blocks, max_blocks, kType,
                    Selector(kBlocks, kType, "used") + " / " + Selector(kBlocks, kType, "max"));
  }
  FieldBuilder capacity(index, m.notes, "kv_capacity_tokens");
  m.kv_capacity_tokens = capacity.Product(
      max_blocks, tokens_per, kType,
      Selector(kBlocks, kType, "max") + " * " + Selector(kBlocks, kType, "tokens_per"));
  FieldBuilder used(index, m.notes, "kv_used_tokens");
  m.kv_used_tokens = used.Product(
      used_blocks, tokens_per, kType,
      Selector(kBlocks, kType, "used") + " * " + Selector(kBlocks, kType, "tokens_per"));

  constexpr std::string_view kRequests = "nv_trt_llm_request_metrics";
  constexpr std::string_view kRequestType = "request_type";
  MapDirect(index, m,
            {{&M::running_requests,
              "running_requests",
              {C{kRequests, kRequestType, "scheduled"}, C{kRequests, kRequestType, "active"}}},
             {&M::waiting_requests,
              "waiting_requests",
              {C{kRequests, kRequestType, "waiting"}, C{"nv_inference_pending_request_count"}}}});
}

void MapTrtllmServe(const SampleIndex& index, ServerMetrics& m) {
  const SampleList max_blocks = index.Get("trtllm_kv_cache_max_blocks");
  const SampleList used_blocks = index.Get("trtllm_kv_cache_used_blocks");
  const SampleList tokens_per = index.Get("trtllm_kv_cache_tokens_per_block");
  FieldBuilder ratio(index, m.notes, "kv_usage_ratio");
  m.kv_usage_ratio = ratio.FirstOf({C{"trtllm_kv_cache_utilization"}}, Combine::kMean, true);
  if (!m.kv_usage_ratio) {
    m.kv_usage_ratio = ratio.Ratio(used_blocks, max_blocks, {},
                                   "trtllm_kv_cache_used_blocks / trtllm_kv_cache_max_blocks");
  }
  FieldBuilder capacity(index, m.notes, "kv_capacity_tokens");
  m.kv_capacity_tokens = capacity.Product(
      max_blocks, tokens_per, {}, "trtllm_kv_cache_max_blocks * trtllm_kv_cache_tokens_per_block");
  FieldBuilder used(index, m.notes, "kv_used_tokens");
  m.kv_used_tokens = used.Product(used_blocks, tokens_per, {},
                                  "trtllm_kv_cache_used_blocks * trtllm_kv_cache_tokens_per_block");
  MapDirect(index, m,
            {{&M::running_requests, "running_requests", {C{"trtllm_num_requests_running"}}},
             {&M::waiting_requests, "waiting_requests", {C{"trtllm_num_requests_waiting"}}}});
}

void MapLlamaCpp(const SampleIndex& index, ServerMetrics& m) {
  MapDirect(index, m,
            {{&M::kv_usage_ratio,
              "kv_usage_ratio",
              {C{"llamacpp:kv_cache_usage_ratio"}},
              Combine::kMean,
              true},
             {&M::kv_used_tokens, "kv_used_tokens", {C{"llamacpp:kv_cache_tokens"}}},
             {&M::running_requests, "running_requests", {C{"llamacpp:requests_processing"}}},
             {&M::waiting_requests, "waiting_requests", {C{"llamacpp:requests_deferred"}}},
             {&M::prompt_tokens_total, "prompt_tokens_total", {C{"llamacpp:prompt_tokens_total"}}},
             {&M::generation_tokens_total,
              "generation_tokens_total",
              {C{"llamacpp:tokens_predicted_total"}}}});
}

void MapMindIe(const SampleIndex& index, ServerMetrics& m) {
  MapDirect(
      index, m,
      {{&M::kv_usage_ratio, "kv_usage_ratio", {C{"npu_cache_usage_perc"}}, Combine::kMean, true},
       {&M::running_requests, "running_requests", {C{"num_requests_running"}}},
       {&M::waiting_requests, "waiting_requests", {C{"num_requests_waiting"}}},
       {&M::preemptions_total, "preemptions_total", {C{"num_preemptions_total"}}},
       {&M::prompt_tokens_total, "prompt_tokens_total", {C{"prompt_tokens_total"}}},
       {&M::generation_tokens_total, "generation_tokens_total", {C{"generation_tokens_total"}}}});
}

// ---------------------------------------------------------------------------------------------
// The normalized fields as rows and as a record.

struct FieldInfo {
  std::string_view field;
  std::string_view metric;
  std::optional<ServerFigure> ServerMetrics::*member;
};
constexpr std::array kFields{
    FieldInfo{"kv_usage_ratio", "server_kv_usage_ratio", &ServerMetrics::kv_usage_ratio},
    FieldInfo{"kv_used_tokens", "server_kv_used_tokens", &ServerMetrics::kv_used_tokens},
    FieldInfo{"kv_capacity_tokens", "server_kv_capacity_tokens",
              &ServerMetrics::kv_capacity_tokens},
    FieldInfo{"running_requests", "server_running_requests", &ServerMetrics::running_requests},
    FieldInfo{"waiting_requests", "server_waiting_requests", &ServerMetrics::waiting_requests},
    FieldInfo{"preemptions_total", "server_preemptions_total", &ServerMetrics::preemptions_total},
    FieldInfo{"prefix_cache_hits_total", "server_prefix_cache_hits_total",
              &ServerMetrics::prefix_cache_hits_total},
    FieldInfo{"prefix_cache_queries_total", "server_prefix_cache_queries_total",
              &ServerMetrics::prefix_cache_queries_total},
    FieldInfo{"prompt_tokens_total", "server_prompt_tokens_total",
              &ServerMetrics::prompt_tokens_total},
    FieldInfo{"generation_tokens_total", "server_generation_tokens_total",
              &ServerMetrics::generation_tokens_total},
};

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Whether `sample` is a `_created` stamp (seconds since the epoch when the series began) of a
// counter, histogram or summary: in OpenMetrics it is a sample of the counter's family, in
// 0.0.4 prometheus_client writes it as a gauge family "<name>_created".
bool IsCreatedStamp(const PromScrape& scrape, const PromFamily& family, const PromSample& sample) {
  const std::string_view name = sample.name;
  if (!name.ends_with("_created")) return false;
  if (family.type == PromMetricType::kCounter) return true;
  const std::string base(name.substr(0, name.size() - std::string_view("_created").size()));
  for (const std::string& owner : {base, base + "_total"}) {
    const PromFamily* found = scrape.Find(owner);
    if (found != nullptr &&
        (found->type == PromMetricType::kCounter || found->type == PromMetricType::kHistogram ||
         found->type == PromMetricType::kSummary)) {
      return true;
    }
  }
  return false;
}

// Cuts `text` to at most `max_bytes` bytes at a UTF-8 character boundary, adding "...".
std::string Cut(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "...";
}

std::string Dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string_view ToString(ServerKind kind) {
  switch (kind) {
    case ServerKind::kUnknown:
      return "unknown";
    case ServerKind::kVllm:
      return "vllm";
    case ServerKind::kSglang:
      return "sglang";
    case ServerKind::kTgi:
      return "tgi";
    case ServerKind::kTriton:
      return "triton";
    case ServerKind::kTrtllmServe:
      return "trtllm-serve";
    case ServerKind::kLlamaCpp:
      return "llama.cpp";
    case ServerKind::kMindIe:
      return "mindie";
  }
  return "unknown";
}

ServerKind DetectServer(const PromScrape& scrape) {
  bool vllm = false, sglang = false, llamacpp = false, triton = false, trtllm = false, tgi = false,
       npu_cache = false, running = false, received = false;
  auto look = [&](std::string_view name) {
    vllm = vllm || StartsWith(name, "vllm:");
    sglang = sglang || StartsWith(name, "sglang:");
    llamacpp = llamacpp || StartsWith(name, "llamacpp:");
    triton = triton || StartsWith(name, "nv_trt_llm_") || StartsWith(name, "nv_inference_");
    trtllm = trtllm || StartsWith(name, "trtllm_");
    tgi = tgi || StartsWith(name, "tgi_");
    npu_cache = npu_cache || name == "npu_cache_usage_perc";
    running = running || name == "num_requests_running";
    received = received || name == "request_received_total" || name == "request_received";
  };
  for (const PromFamily& family : scrape.families) {
    look(family.name);
    for (const PromSample& sample : family.samples) {
      if (sample.name != family.name) look(sample.name);
    }
  }
  if (vllm) return ServerKind::kVllm;
  if (sglang) return ServerKind::kSglang;
  if (llamacpp) return ServerKind::kLlamaCpp;
  if (triton) return ServerKind::kTriton;
  if (trtllm) return ServerKind::kTrtllmServe;
  if (tgi) return ServerKind::kTgi;
  if (npu_cache || (running && received)) return ServerKind::kMindIe;
  return ServerKind::kUnknown;
}

ServerMetrics NormalizeServerMetrics(const PromScrape& scrape, ServerKind server) {
  ServerMetrics m;
  m.server = server;
  m.mapping = std::string(ToString(server));
  const SampleIndex index(scrape);
  switch (server) {
    case ServerKind::kVllm:
      MapVllm(index, m);
      break;
    case ServerKind::kSglang:
      MapSglang(index, m);
      break;
    case ServerKind::kTgi:
      MapTgi(index, m);
      break;
    case ServerKind::kTriton:
      MapTriton(index, m);
      break;
    case ServerKind::kTrtllmServe:
      MapTrtllmServe(index, m);
      break;
    case ServerKind::kLlamaCpp:
      MapLlamaCpp(index, m);
      break;
    case ServerKind::kMindIe:
      MapMindIe(index, m);
      break;
    case ServerKind::kUnknown:
      break;
  }
  return m;
}

ServerMetrics NormalizeServerMetrics(const PromScrape& scrape) {
  return NormalizeServerMetrics(scrape, DetectServer(scrape));
}

std::string ServerMetricsRecordJson(const ServerMetrics& metrics) {
  nlohmann::json fields = nlohmann::json::object();
  for (const FieldInfo& info : kFields) {
    const std::optional<ServerFigure>& figure = metrics.*(info.member);
    if (!figure) continue;
    nlohmann::json entry = {{"source", figure->source}, {"series", figure->series}};
    if (!figure->combine.empty()) entry["combine"] = figure->combine;
    if (!figure->varying_labels.empty()) entry["varying_labels"] = figure->varying_labels;
    if (!figure->note.empty()) entry["note"] = figure->note;
    fields[std::string(info.field)] = std::move(entry);
  }
  nlohmann::json record = {{"server", std::string(ToString(metrics.server))},
                           {"mapping", metrics.mapping},
                           {"fields", std::move(fields)}};
  if (!metrics.notes.empty()) record["notes"] = metrics.notes;
  return Dump(record);
}

ServerSamples ServerSampleRecords(const PromScrape& scrape, const ServerMetrics& metrics,
                                  RunId run_id, std::int64_t time_ns,
                                  const ServerSampleOptions& options) {
  ServerSamples out;
  for (const FieldInfo& info : kFields) {
    const std::optional<ServerFigure>& figure = metrics.*(info.member);
    if (!figure) continue;
    out.rows.push_back({.run_id = run_id,
                        .time_ns = time_ns,
                        .source = "server",
                        .metric = std::string(info.metric),
                        .labels_json = "{}",
                        .value = figure->value});
  }
  if (metrics.server != ServerKind::kUnknown) return out;

  std::size_t raw = 0;
  for (const PromFamily& family : scrape.families) {
    if (family.type != PromMetricType::kCounter && family.type != PromMetricType::kGauge &&
        family.type != PromMetricType::kUntyped) {
      continue;
    }
    for (const PromSample& sample : family.samples) {
      if (!std::isfinite(sample.value) || IsCreatedStamp(scrape, family, sample)) continue;
      if (raw == options.max_raw_series) {
        ++out.raw_series_dropped;
        continue;
      }
      ++raw;
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [name, value] : sample.labels) {
        labels[name] = Cut(value, options.max_label_value_bytes);
      }
      out.rows.push_back({.run_id = run_id,
                          .time_ns = time_ns,
                          .source = "server",
                          .metric = "raw:" + sample.name,
                          .labels_json = Dump(labels),
                          .value = sample.value});
    }
  }
  return out;
}

}  // namespace infermeter::collectors
