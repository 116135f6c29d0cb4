#include "run_report.h"

#include <fmt/format.h>

#include <optional>
#include <string_view>

#include "table.h"

namespace infermeter::cli {
namespace {

nlohmann::json DistributionJson(const harness::Distribution& d) {
  return {{"count", d.count}, {"p50", d.p50},   {"p90", d.p90}, {"p95", d.p95}, {"p99", d.p99},
          {"p99_9", d.p99_9}, {"mean", d.mean}, {"std", d.std}, {"min", d.min}, {"max", d.max}};
}

std::string Ms(double value) { return fmt::format("{:.2f}", value); }

// "TTFT <= 2000 ms, TPOT <= 100 ms"
std::string SloText(const harness::SloSettings& slo) {
  std::string text;
  const auto add = [&text](const char* name, const std::optional<double>& ms) {
    if (!ms) return;
    if (!text.empty()) text += ", ";
    text += fmt::format("{} <= {:g} ms", name, *ms);
  };
  add("TTFT", slo.ttft_ms);
  add("TPOT", slo.tpot_ms);
  add("ITL", slo.itl_ms);
  add("E2E", slo.e2e_ms);
  return text;
}

std::optional<double> Figure(const harness::RunOutcome& o, std::string_view name) {
  for (const auto& m : o.metrics) {
    if (m.name == name) return m.value;
  }
  return std::nullopt;
}

// "12.3 G" style, for FLOPs and bytes per second.
std::string Si(double value) {
  const char* units[] = {"", "k", "M", "G", "T", "P", "E"};
  int i = 0;
  while (value >= 1000 && i < 6) {
    value /= 1000;
    ++i;
  }
  return fmt::format("{:.3g} {}", value, units[i]);
}

std::string Bytes(double value) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (value >= 1024 && i < 4) {
    value /= 1024;
    ++i;
  }
  return fmt::format("{:.1f} {}", value, units[i]);
}

std::string Fact(const harness::RunOutcome& o, const char* collector, const char* key) {
  const auto facts = nlohmann::json::parse(o.collectors_json, nullptr, false);
  if (!facts.is_object() || !facts.contains(collector)) return "";
  const auto& c = facts[collector];
  return c.contains(key) && c[key].is_string() ? c[key].get<std::string>() : "";
}

void PrintCollectorFigures(std::ostream& out, const harness::RunOutcome& o) {
  if (const auto flops = Figure(o, "flops_total")) {
    std::string line = fmt::format("compute   {}FLOP", Si(*flops));
    if (const auto v = Figure(o, "flops_per_output_token")) {
      line += fmt::format(", {}FLOP per output token", Si(*v));
    }
    if (const auto v = Figure(o, "achieved_flops_per_s")) line += fmt::format(", {}FLOP/s", Si(*v));
    const auto mfu = Figure(o, "mfu");
    const auto mbu = Figure(o, "mbu");
    line += mfu ? fmt::format("; MFU {:.2f}%", 100 * *mfu) : "; MFU unknown";
    line += mbu ? fmt::format(", MBU {:.2f}%", 100 * *mbu) : ", MBU unknown";
    out << line << '\n';
    out << "          FLOPs: " << Fact(o, "flops", "flops_source") << '\n';
    out << "          peak: " << Fact(o, "flops", "peak_source") << '\n';
  }
  const auto kv_peak = Figure(o, "kv_bytes_peak");
  const auto kv_capacity = Figure(o, "kv_bytes_capacity");
  if (kv_peak || kv_capacity) {
    std::string line = "kv cache  peak " + (kv_peak ? Bytes(*kv_peak) : std::string("unknown"));
    if (kv_capacity) line += " of " + Bytes(*kv_capacity);
    if (kv_peak && kv_capacity && *kv_capacity > 0) {
      line += fmt::format(" ({:.1f}%)", 100 * *kv_peak / *kv_capacity);
    }
    if (const auto v = Figure(o, "kv_analytic_bytes_peak")) {
      line += "; cost model " + Bytes(*v) + " for the tokens in flight";
    }
    out << line << '\n';
  }
  if (const auto v = Figure(o, "energy_j_per_output_token")) {
    out << fmt::format("energy    {:.4g} J per output token ({:.4g} tokens/J), {:.4g} J in all\n",
                       *v, Figure(o, "output_tokens_per_j").value_or(0),
                       Figure(o, "energy_j").value_or(0));
  }
}

nlohmann::json OrNull(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

void PrintRunSummary(std::ostream& out, const ReportedRun& run) {
  const harness::RunOutcome& o = run.outcome;
  const harness::RunSummary& s = o.summary;
  out << fmt::format("\n== {} — run {} — {} — {} ==\n", run.scenario, o.run.value,
                     results::ToString(o.status),
                     o.verdict.validity == results::Validity::kValid ? "VALID" : "INVALID");
  if (!run.description.empty()) out << run.description << '\n';
  for (const auto& reason : o.verdict.reasons) out << "  invalid: " << reason << '\n';
  out << fmt::format("requests  {} completed, {} failed, {} cancelled in {:.1f} s (stopped: {})\n",
                     s.requests_completed, s.requests_failed, s.requests_cancelled, s.duration_s,
                     harness::ToString(o.load.stop_reason));
  out << fmt::format(
      "tokens/s  {:.1f} output, {:.1f} input, {:.1f} total; peak {:.0f} output in 1 s; "
      "{:.3f} requests/s\n",
      s.output_tokens_per_s, s.input_tokens_per_s, s.total_tokens_per_s, s.peak_output_tokens_per_s,
      s.request_throughput_per_s);
  out << fmt::format(
      "steady    {:.1f} output tokens/s over {:.1f} s (in flight >= 90% of max {:.0f})\n",
      s.steady_state_output_tokens_per_s, s.steady_state_duration_s, s.max_in_flight);
  if (s.slo_set) {
    out << fmt::format(
        "goodput   {:.3f} requests/s, {:.1f} output tokens/s; {} good ({:.1f}%) under {}\n",
        s.goodput_requests_per_s, s.goodput_output_tokens_per_s, s.good_requests,
        100.0 * s.good_fraction, SloText(s.slo));
  }
  out << fmt::format("cache     prefix hit ratio {:.1f}% ({} of {} input tokens)\n",
                     100.0 * s.prefix_cache_hit_ratio, s.cached_tokens, s.input_tokens);
  if (s.reasoning_tokens) {
    out << fmt::format("reasoning {} of {} output tokens; {} requests began with reasoning\n",
                       *s.reasoning_tokens, s.output_tokens, s.reasoning_first_requests);
  }
  PrintCollectorFigures(out, o);
  if (!s.errors_by_class.empty()) {
    out << "errors   ";
    for (const auto& [error_class, count] : s.errors_by_class) {
      out << fmt::format(" {}={}", error_class, count);
    }
    out << '\n';
  }

  TextTable table;
  using Align = TextTable::Align;
  table.AddColumn("LATENCY (ms)");
  for (const char* header : {"p50", "p90", "p99", "p99.9", "mean", "max", "n"}) {
    table.AddColumn(header, Align::kRight);
  }
  const auto row = [&](const char* name, const harness::Distribution& d) {
    if (d.count == 0) return;
    table.AddRow({name, Ms(d.p50), Ms(d.p90), Ms(d.p99), Ms(d.p99_9), Ms(d.mean), Ms(d.max),
                  std::to_string(d.count)});
  };
  row("TTFT", s.ttft_ms);
  // TTFVT is TTFT unless some output began with reasoning: one row of the same figures is enough.
  if (s.reasoning_first_requests > 0) row("TTFVT", s.ttfvt_ms);
  row("TPOT", s.tpot_ms);
  row("ITL", s.itl_ms);
  row("E2E", s.e2e_ms);
  row("TTFT from scheduled", s.ttft_from_scheduled_ms);
  row("connect", s.connect_ms);  // HTTP engines only
  row("first byte", s.first_byte_ms);
  row("engine queue", s.queue_ms);
  row("schedule lag", s.schedule_lag_ms);
  table.Print(out);
}

nlohmann::json RunSummaryJson(const ReportedRun& run) {
  const harness::RunOutcome& o = run.outcome;
  const harness::RunSummary& s = o.summary;
  nlohmann::json j;
  j["run_id"] = o.run.value;
  j["scenario"] = run.scenario;
  j["status"] = results::ToString(o.status);
  j["validity"] = results::ToString(o.verdict.validity);
  j["validity_reasons"] = o.verdict.reasons;
  j["stop_reason"] = harness::ToString(o.load.stop_reason);
  j["workload"] = {{"description", run.description}, {"hash", run.workload_hash}};
  j["requests"] = {{"completed", s.requests_completed},
                   {"failed", s.requests_failed},
                   {"cancelled", s.requests_cancelled},
                   {"total", s.requests_total},
                   {"warmup", o.load.warmup_requests}};
  j["tokens"] = {{"input", s.input_tokens},
                 {"cached", s.cached_tokens},
                 {"output", s.output_tokens},
                 {"reasoning", s.reasoning_tokens ? nlohmann::json(*s.reasoning_tokens)
                                                  : nlohmann::json(nullptr)},
                 {"usage_mismatches", s.usage_mismatches}};
  j["duration_s"] = s.duration_s;
  j["throughput"] = {{"requests_per_s", s.request_throughput_per_s},
                     {"input_tokens_per_s", s.input_tokens_per_s},
                     {"output_tokens_per_s", s.output_tokens_per_s},
                     {"total_tokens_per_s", s.total_tokens_per_s},
                     {"peak_output_tokens_per_s", s.peak_output_tokens_per_s},
                     {"steady_state_output_tokens_per_s", s.steady_state_output_tokens_per_s},
                     {"steady_state_duration_s", s.steady_state_duration_s}};
  j["latency_ms"] = {{"ttft", DistributionJson(s.ttft_ms)},
                     {"ttst", DistributionJson(s.ttst_ms)},
                     {"tpot", DistributionJson(s.tpot_ms)},
                     {"itl", DistributionJson(s.itl_ms)},
                     {"itl_per_request_mean", DistributionJson(s.itl_mean_ms)},
                     {"ntpot", DistributionJson(s.ntpot_ms)},
                     {"e2e", DistributionJson(s.e2e_ms)},
                     {"ttft_from_scheduled", DistributionJson(s.ttft_from_scheduled_ms)},
                     {"e2e_from_scheduled", DistributionJson(s.e2e_from_scheduled_ms)},
                     {"schedule_lag", DistributionJson(s.schedule_lag_ms)},
                     {"engine_queue", DistributionJson(s.queue_ms)}};
  // Figures only some engines give (HTTP phases; the first visible token, which runs recorded
  // before schema version 5 lack) appear only when measured, as run_metrics has them.
  const auto add_measured = [&j](const char* name, const harness::Distribution& d) {
    if (d.count > 0) j["latency_ms"][name] = DistributionJson(d);
  };
  add_measured("ttfvt", s.ttfvt_ms);
  add_measured("connect", s.connect_ms);
  add_measured("first_byte", s.first_byte_ms);
  if (s.slo_set) {
    j["goodput"] = {{"slo", SloText(s.slo)},
                    {"good_requests", s.good_requests},
                    {"requests_per_s", s.goodput_requests_per_s},
                    {"output_tokens_per_s", s.goodput_output_tokens_per_s},
                    {"good_fraction", s.good_fraction}};
  }
  j["in_flight"] = {{"max", s.max_in_flight}, {"mean", s.mean_in_flight}};
  j["prefix_cache_hit_ratio"] = s.prefix_cache_hit_ratio;
  j["errors_by_class"] = s.errors_by_class;
  j["client"] = {{"cpu_per_request_us", o.load.ClientCpuPerRequestUs()}};
  // Compute, memory and energy: null when unknown (no peak measured, no power readings).
  for (const char* name :
       {"flops_total", "flops_per_output_token", "achieved_flops_per_s", "mfu", "mbu",
        "kv_bytes_peak", "kv_bytes_capacity", "energy_j_per_output_token", "output_tokens_per_j"}) {
    j[name] = OrNull(Figure(o, name));
  }
  j["peak_source"] = Fact(o, "flops", "peak_source");
  j["flops_source"] = Fact(o, "flops", "flops_source");
  j["collectors"] = nlohmann::json::parse(o.collectors_json, nullptr, false);
  if (!o.collector_notes.empty()) j["notes"] = o.collector_notes;
  return j;
}

}  // namespace infermeter::cli
