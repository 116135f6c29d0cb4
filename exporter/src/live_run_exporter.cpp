#include "infermeter/exporter/live_run_exporter.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "histogram_buckets.h"
#include "infermeter/exporter/run_metric_names.h"
#include "sample_metrics.h"

namespace infermeter::exporter {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

constexpr double kNsPerS = 1e9;
constexpr double kMsPerS = 1e3;

Family<Counter>& CounterFamily(prometheus::Registry& registry, const std::string& name,
                               const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}
Family<Gauge>& GaugeFamily(prometheus::Registry& registry, const std::string& name,
                           const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}
Family<Histogram>& HistogramFamily(prometheus::Registry& registry, const std::string& name,
                                   const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

// A histogram fed many values at once: values are counted into local buckets, then added under
// the histogram's lock once (prometheus-cpp's ObserveMultiple). Used for a request's per-token
// gaps, which may be thousands.
class BatchedHistogram {
 public:
  BatchedHistogram(Histogram& histogram, std::vector<double> bounds)
      : histogram_(histogram), bounds_(std::move(bounds)), increments_(bounds_.size() + 1, 0.0) {}

  // `value` counted `weight` times; `sum` grows by value * weight.
  void Add(double value, double weight) {
    // Prometheus buckets are "less than or equal": the first bound >= value.
    const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    increments_[static_cast<std::size_t>(bucket)] += weight;
    sum_ += value * weight;
    any_ = true;
  }
  void Flush() {
    if (!any_) return;
    histogram_.ObserveMultiple(increments_, sum_);
    std::fill(increments_.begin(), increments_.end(), 0.0);
    sum_ = 0;
    any_ = false;
  }

 private:
  Histogram& histogram_;
  const std::vector<double> bounds_;
  std::vector<double> increments_;
  double sum_ = 0;
  bool any_ = false;
};

}  // namespace

class LiveRunExporter::Impl {
 public:
  Impl()
      : registry_(std::make_shared<prometheus::Registry>()),
        run_info_(GaugeFamily(*registry_, kRunInfoFamily, kRunInfoHelp)),
        run_start_(GaugeFamily(*registry_, kRunStartFamily, kRunStartHelp)),
        run_end_(GaugeFamily(*registry_, kRunEndFamily, kRunEndHelp)),
        requests_(CounterFamily(*registry_, "infermeter_requests_total",
                                "Measured requests ended, by status (ok, error, cancelled).")),
        errors_(CounterFamily(*registry_, "infermeter_request_errors_total",
                              "Failed requests by error class.")),
        input_tokens_(CounterFamily(*registry_, "infermeter_input_tokens_total",
                                    "Prompt tokens of completed requests.")),
        cached_tokens_(CounterFamily(*registry_, "infermeter_cached_tokens_total",
                                     "Prompt tokens of completed requests served from a prefix "
                                     "cache.")),
        output_tokens_(CounterFamily(*registry_, "infermeter_output_tokens_total",
                                     "Output tokens of completed requests.")),
        ttft_(HistogramFamily(*registry_, "infermeter_time_to_first_token_seconds",
                              "Time to first token of completed requests.")),
        tpot_(HistogramFamily(*registry_, "infermeter_time_per_output_token_seconds",
                              "Time per output token after the first, completed requests with "
                              "at least 2 output tokens.")),
        itl_(HistogramFamily(*registry_, "infermeter_inter_token_latency_seconds",
                             "Per-token gaps of completed requests, token-weighted: a chunk of k "
                             "tokens after a gap g counts k times g/k.")),
        e2e_(HistogramFamily(*registry_, "infermeter_e2e_request_latency_seconds",
                             "End-to-end latency of completed requests.")),
        schedule_lag_(HistogramFamily(*registry_, "infermeter_schedule_lag_seconds",
                                      "Sent minus released time of every measured request: "
                                      "whether the client kept up.")) {}

  std::shared_ptr<prometheus::Registry> registry_;

  void Start(const harness::RunStart& start) {
    auto run = std::make_unique<RunSeries>();
    run->slo = start.slo;
    run->id = std::to_string(start.run.value);
    const Labels by_run{{"run_id", run->id}};
    const auto with = [&](const char* key, const std::string& value) {
      Labels labels = by_run;
      labels.emplace(key, value);
      return labels;
    };
    run->info_labels = RunInfoLabels(start.run, *start.info);
    Labels info = run->info_labels;
    SetRunOutcomeLabels(info, results::RunStatus::kRunning, std::nullopt);
    run->info = &run_info_.Add(info);
    run->info->Set(1);
    run_start_.Add(by_run).Set(static_cast<double>(start.start_unix_ns) / kNsPerS);

    run->ok = &requests_.Add(with("status", "ok"));
    run->error = &requests_.Add(with("status", "error"));
    run->cancelled = &requests_.Add(with("status", "cancelled"));
    run->input = &input_tokens_.Add(by_run);
    run->cached = &cached_tokens_.Add(by_run);
    run->output = &output_tokens_.Add(by_run);
    run->ttft = &ttft_.Add(by_run, TimeToFirstTokenBuckets());
    run->tpot = &tpot_.Add(by_run, PerTokenBuckets());
    run->e2e = &e2e_.Add(by_run, RequestLatencyBuckets());
    run->schedule_lag = &schedule_lag_.Add(by_run, ScheduleLagBuckets());
    run->itl.emplace(itl_.Add(by_run, PerTokenBuckets()), PerTokenBuckets());
    if (start.slo.any()) {
      std::lock_guard lock(mutex_);
      if (!good_requests_) {
        good_requests_ = &CounterFamily(*registry_, "infermeter_good_requests_total",
                                        "Completed requests meeting every SLO (goodput).");
        good_tokens_ = &CounterFamily(*registry_, "infermeter_good_output_tokens_total",
                                      "Output tokens of the requests meeting every SLO.");
        slo_ = &GaugeFamily(*registry_, "infermeter_slo_seconds",
                            "The SLO goodput is judged against.");
      }
      run->good_requests = &good_requests_->Add(by_run);
      run->good_tokens = &good_tokens_->Add(by_run);
      const auto slo = [&](const char* name, const std::optional<double>& ms) {
        if (ms) slo_->Add(with("slo", name)).Set(*ms / kMsPerS);
      };
      slo("ttft", start.slo.ttft_ms);
      slo("tpot", start.slo.tpot_ms);
      slo("itl", start.slo.itl_ms);
      slo("e2e", start.slo.e2e_ms);
    }
    // The runner calls this before the threads that report requests and samples start.
    run_ = std::move(run);
  }

  void Request(const results::RequestRecord& r) {
    RunSeries* run = run_.get();
    if (!run) return;
    const harness::RequestTimings t = harness::ComputeRequestTimings(r, run->slo);
    if (t.schedule_lag_ms) run->schedule_lag->Observe(*t.schedule_lag_ms / kMsPerS);
    switch (r.status) {
      case results::RequestStatus::kOk:
        break;
      case results::RequestStatus::kError:
        run->error->Increment();
        ErrorCounter(*run, r.error_class).Increment();
        return;
      case results::RequestStatus::kCancelled:
        run->cancelled->Increment();
        return;
    }
    run->ok->Increment();
    run->input->Increment(static_cast<double>(r.input_tokens));
    run->cached->Increment(static_cast<double>(r.cached_tokens));
    run->output->Increment(static_cast<double>(r.output_tokens));
    if (r.reasoning_tokens)
      ReasoningCounter(*run).Increment(static_cast<double>(*r.reasoning_tokens));
    if (t.ttft_ms) run->ttft->Observe(*t.ttft_ms / kMsPerS);
    if (t.tpot_ms) run->tpot->Observe(*t.tpot_ms / kMsPerS);
    if (t.e2e_ms) run->e2e->Observe(*t.e2e_ms / kMsPerS);
    results::ForEachTokenGap(r.chunks, [run](std::int64_t gap_ns, std::int32_t tokens) {
      const double weight = tokens;
      run->itl->Add(static_cast<double>(gap_ns) / kNsPerS / weight, weight);
    });
    run->itl->Flush();
    if (t.good) {
      run->good_requests->Increment();
      run->good_tokens->Increment(static_cast<double>(r.output_tokens));
    }
  }

  void Samples(const std::vector<results::SampleRecord>& samples) {
    RunSeries* run = run_.get();
    if (!run) return;
    for (const results::SampleRecord& sample : samples) {
      const std::optional<ExportedSample> exported = FindSampleMetric(sample);
      if (!exported) continue;
      const SampleMetric& row = *exported->metric;
      Labels labels{{"run_id", run->id}};
      for (const auto& [key, value] : row.fixed_labels) labels.emplace(key, value);
      for (const auto& [key, value] : exported->labels) labels.emplace(key, value);
      const double value = sample.value * row.scale;
      if (row.kind == SampleKind::kGauge) {
        SampleGaugeFamily(row).Add(labels).Set(value);
        continue;
      }
      // A running total since the run started: the counter takes each increase.
      SampleCounter& counter = run->sample_counters[SeriesKey(row.family, labels)];
      if (!counter.counter) counter.counter = &SampleCounterFamily(row).Add(labels);
      if (value > counter.last) counter.counter->Increment(value - counter.last);
      counter.last = std::max(counter.last, value);
    }
  }

  void Finish(const harness::RunEnd& end) {
    RunSeries* run = run_.get();
    if (!run) return;
    run_info_.Remove(run->info);
    Labels info = run->info_labels;
    SetRunOutcomeLabels(info, end.status, end.validity);
    run_info_.Add(info).Set(1);
    const Labels by_run{{"run_id", run->id}};
    run_end_.Add(by_run).Set(static_cast<double>(end.end_unix_ns) / kNsPerS);
    for (const RunMetricPoint& point : ExportedRunMetrics(*end.metrics)) {
      Labels labels = by_run;
      if (!point.name.stat.empty()) labels.emplace("stat", point.name.stat);
      SummaryFamily(point.name.family).Add(labels).Set(point.value);
    }
    finished_.push_back(std::move(run_));
  }

 private:
  struct SampleCounter {
    Counter* counter = nullptr;
    double last = 0;
  };
  // The series of one run.
  struct RunSeries {
    std::string id;
    harness::SloSettings slo;
    std::map<std::string, std::string> info_labels;  // without status and validity
    Gauge* info = nullptr;
    Counter *ok = nullptr, *error = nullptr, *cancelled = nullptr;
    Counter *input = nullptr, *cached = nullptr, *output = nullptr, *reasoning = nullptr;
    Counter *good_requests = nullptr, *good_tokens = nullptr;
    Histogram *ttft = nullptr, *tpot = nullptr, *e2e = nullptr, *schedule_lag = nullptr;
    std::optional<BatchedHistogram> itl;
    std::map<std::string, Counter*, std::less<>> errors;   // scheduler thread only
    std::map<std::string, SampleCounter> sample_counters;  // sampling thread only
  };

  static std::string SeriesKey(std::string_view family, const Labels& labels) {
    std::string key(family);
    for (const auto& [k, v] : labels) key.append("|").append(k).append("=").append(v);
    return key;
  }

  Counter& ErrorCounter(RunSeries& run, const std::string& error_class) {
    const std::string& key = error_class.empty() ? kUnknown : error_class;
    const auto it = run.errors.find(key);
    if (it != run.errors.end()) return *it->second;
    Counter& counter = errors_.Add({{"run_id", run.id}, {"error_class", key}});
    run.errors.emplace(key, &counter);
    return counter;
  }

  Counter& ReasoningCounter(RunSeries& run) {
    if (!run.reasoning) {
      std::lock_guard lock(mutex_);
      if (!reasoning_tokens_) {
        reasoning_tokens_ = &CounterFamily(*registry_, "infermeter_reasoning_tokens_total",
                                           "Of the output tokens, reasoning output, when the "
                                           "engine says.");
      }
      run.reasoning = &reasoning_tokens_->Add({{"run_id", run.id}});
    }
    return *run.reasoning;
  }

  // Families of samples and summary figures appear with their first series, so a scrape lists
  // only what this machine and engine actually measure.
  Family<Gauge>& SampleGaugeFamily(const SampleMetric& row) {
    std::lock_guard lock(mutex_);
    auto& family = gauges_[std::string(row.family)];
    if (!family) family = &GaugeFamily(*registry_, std::string(row.family), std::string(row.help));
    return *family;
  }
  Family<Counter>& SampleCounterFamily(const SampleMetric& row) {
    std::lock_guard lock(mutex_);
    auto& family = counters_[std::string(row.family)];
    if (!family) {
      family = &CounterFamily(*registry_, std::string(row.family), std::string(row.help));
    }
    return *family;
  }
  Family<Gauge>& SummaryFamily(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto& family = gauges_[name];
    if (!family) {
      family = &GaugeFamily(*registry_, name, kRunSummaryHelp);
    }
    return *family;
  }

  inline static const std::string kUnknown = "unknown";

  Family<Gauge>& run_info_;
  Family<Gauge>& run_start_;
  Family<Gauge>& run_end_;
  Family<Counter>& requests_;
  Family<Counter>& errors_;
  Family<Counter>& input_tokens_;
  Family<Counter>& cached_tokens_;
  Family<Counter>& output_tokens_;
  Family<Histogram>& ttft_;
  Family<Histogram>& tpot_;
  Family<Histogram>& itl_;
  Family<Histogram>& e2e_;
  Family<Histogram>& schedule_lag_;

  std::mutex mutex_;  // the families made on first use, from any of the run's threads
  Family<Counter>* reasoning_tokens_ = nullptr;
  Family<Counter>* good_requests_ = nullptr;
  Family<Counter>* good_tokens_ = nullptr;
  Family<Gauge>* slo_ = nullptr;
  std::map<std::string, Family<Gauge>*> gauges_;
  std::map<std::string, Family<Counter>*> counters_;

  std::unique_ptr<RunSeries> run_;                    // the run in progress
  std::vector<std::unique_ptr<RunSeries>> finished_;  // their series stay exported
};

LiveRunExporter::LiveRunExporter() : impl_(std::make_unique<Impl>()) {}
LiveRunExporter::~LiveRunExporter() = default;

std::shared_ptr<prometheus::Collectable> LiveRunExporter::collectable() const {
  return impl_->registry_;
}

void LiveRunExporter::OnRunStarted(const harness::RunStart& start) { impl_->Start(start); }
void LiveRunExporter::OnRequestFinished(const results::RequestRecord& request) {
  impl_->Request(request);
}
void LiveRunExporter::OnSampled(const std::vector<results::SampleRecord>& samples) {
  impl_->Samples(samples);
}
void LiveRunExporter::OnRunFinished(const harness::RunEnd& end) { impl_->Finish(end); }

}  // namespace infermeter::exporter
