// The live exporter against the harness's own summary: fed the same request records and samples a
// run stores, every exported figure must equal what SummarizeRun and the stored samples say.

#include "infermeter/exporter/live_run_exporter.h"

#include <gtest/gtest.h>
#include <prometheus/collectable.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "infermeter/harness/metrics.h"

namespace infermeter::exporter {
namespace {

using results::ChunkArrival;
using results::RequestRecord;
using results::RequestStatus;
using results::SampleRecord;

constexpr std::int64_t kMs = 1'000'000;

// A request sent at `sent_ms` whose chunks arrive at the given times with the given tokens.
RequestRecord Request(std::int64_t id, std::int64_t sent_ms,
                      std::vector<std::pair<std::int64_t, std::int32_t>> chunks,
                      RequestStatus status = RequestStatus::kOk) {
  RequestRecord r;
  r.run_id = RunId{1};
  r.request_id = id;
  r.scheduled_ns = sent_ms * kMs;
  r.released_ns = sent_ms * kMs;
  r.sent_ns = sent_ms * kMs + id * 1000;  // a little schedule lag
  r.input_tokens = 100 + id;
  r.cached_tokens = id;
  for (const auto& [at_ms, tokens] : chunks) {
    r.chunks.push_back({.time_ns = at_ms * kMs, .tokens = tokens});
    r.output_tokens += tokens;
  }
  if (!r.chunks.empty()) {
    r.first_token_ns = r.chunks.front().time_ns;
    r.last_token_ns = r.chunks.back().time_ns;
  }
  r.done_ns = r.last_token_ns.value_or(*r.sent_ns + kMs);
  r.status = status;
  if (status == RequestStatus::kError) r.error_class = "http_503";
  return r;
}

std::vector<RequestRecord> SomeRequests() {
  return {Request(1, 0, {{40, 1}, {50, 1}, {70, 2}, {75, 1}}),
          Request(2, 5, {{300, 1}, {301, 4}, {340, 1}}),  // a slow first token
          Request(3, 10, {{30, 1}}),                      // one token: no TPOT
          Request(4, 12, {{50, 1}, {60, 1}}, RequestStatus::kError),
          Request(5, 20, {}, RequestStatus::kCancelled),
          Request(6, 30, {{2000, 3}, {2600, 1}})};  // chunked, and slower than the SLO
}

// One series of a scrape: family name + labels -> metric.
class Scrape {
 public:
  explicit Scrape(const std::vector<prometheus::MetricFamily>& families) {
    for (const auto& family : families) {
      types_[family.name] = family.type;
      for (const auto& metric : family.metric) {
        std::map<std::string, std::string> labels;
        for (const auto& label : metric.label) labels[label.name] = label.value;
        series_[family.name].push_back({labels, metric});
      }
    }
  }
  bool Has(const std::string& family) const { return series_.contains(family); }
  std::size_t Count(const std::string& family) const {
    return Has(family) ? series_.at(family).size() : 0;
  }
  const prometheus::ClientMetric& Get(const std::string& family,
                                      const std::map<std::string, std::string>& labels) const {
    const auto it = series_.find(family);
    if (it != series_.end()) {
      for (const auto& [have, metric] : it->second) {
        if (std::all_of(labels.begin(), labels.end(), [&have](const auto& label) {
              const auto found = have.find(label.first);
              return found != have.end() && found->second == label.second;
            })) {
          return metric;
        }
      }
    }
    ADD_FAILURE() << "no series " << family << " with the given labels";
    static const prometheus::ClientMetric kNone;
    return kNone;
  }
  double Value(const std::string& family,
               const std::map<std::string, std::string>& labels = {{"run_id", "1"}}) const {
    const auto& metric = Get(family, labels);
    switch (types_.at(family)) {
      case prometheus::MetricType::Counter:
        return metric.counter.value;
      case prometheus::MetricType::Gauge:
        return metric.gauge.value;
      default:
        ADD_FAILURE() << family << " is neither a counter nor a gauge";
        return 0;
    }
  }
  std::map<std::string, std::string> Labels(const std::string& family) const {
    return series_.at(family).front().first;
  }

 private:
  std::map<std::string, prometheus::MetricType> types_;
  std::map<std::string,
           std::vector<std::pair<std::map<std::string, std::string>, prometheus::ClientMetric>>>
      series_;
};

class LiveRunExporterTest : public ::testing::Test {
 protected:
  LiveRunExporterTest() {
    info_.name = "synthetic";
    info_.engine = "reference";
    info_.model = "v4-mini";
    info_.workload_name = "synthetic";
    info_.hardware_json =
        R"({"gpus":[{"index":0,"name":"NVIDIA H100"},{"index":1,"name":"NVIDIA H100"}]})";
    info_.labels = {{"site", "lab-2"}, {"run_id", "clash"}};
    slo_.ttft_ms = 500;
    slo_.e2e_ms = 1000;
  }
  void Start(std::int64_t run = 1) {
    exporter_.OnRunStarted({.run = RunId{run},
                            .info = &info_,
                            .slo = slo_,
                            .start_unix_ns = 1'700'000'000'000'000'000});
  }
  Scrape Collect() const { return Scrape(exporter_.collectable()->Collect()); }

  results::RunInfo info_;
  harness::SloSettings slo_;
  LiveRunExporter exporter_;
};

TEST_F(LiveRunExporterTest, CountersAndHistogramsEqualTheRunSummary) {
  Start();
  const std::vector<RequestRecord> requests = SomeRequests();
  for (const RequestRecord& r : requests) exporter_.OnRequestFinished(r);
  const harness::RunSummary s = harness::SummarizeRun(requests, slo_);
  const Scrape scrape = Collect();

  EXPECT_EQ(scrape.Value("infermeter_requests_total", {{"run_id", "1"}, {"status", "ok"}}),
            s.requests_completed);
  EXPECT_EQ(scrape.Value("infermeter_requests_total", {{"run_id", "1"}, {"status", "error"}}),
            s.requests_failed);
  EXPECT_EQ(scrape.Value("infermeter_requests_total", {{"run_id", "1"}, {"status", "cancelled"}}),
            s.requests_cancelled);
  EXPECT_EQ(scrape.Value("infermeter_request_errors_total",
                         {{"run_id", "1"}, {"error_class", "http_503"}}),
            1);
  EXPECT_EQ(scrape.Value("infermeter_input_tokens_total"), s.input_tokens);
  EXPECT_EQ(scrape.Value("infermeter_cached_tokens_total"), s.cached_tokens);
  EXPECT_EQ(scrape.Value("infermeter_output_tokens_total"), s.output_tokens);
  EXPECT_EQ(scrape.Value("infermeter_good_requests_total"), s.good_requests);
  EXPECT_GT(s.good_requests, 0);
  EXPECT_LT(s.good_requests, s.requests_completed);
  EXPECT_DOUBLE_EQ(scrape.Value("infermeter_slo_seconds", {{"run_id", "1"}, {"slo", "ttft"}}), 0.5);

  const auto histogram = [&](const char* family) {
    return scrape.Get(family, {{"run_id", "1"}}).histogram;
  };
  const auto expect_histogram = [&](const char* family, const harness::Distribution& d) {
    SCOPED_TRACE(family);
    EXPECT_EQ(static_cast<std::int64_t>(histogram(family).sample_count), d.count);
    EXPECT_NEAR(histogram(family).sample_sum, d.mean * static_cast<double>(d.count) / 1e3, 1e-9);
  };
  expect_histogram("infermeter_time_to_first_token_seconds", s.ttft_ms);
  expect_histogram("infermeter_time_per_output_token_seconds", s.tpot_ms);
  expect_histogram("infermeter_e2e_request_latency_seconds", s.e2e_ms);
  expect_histogram("infermeter_inter_token_latency_seconds", s.itl_ms);
  expect_histogram("infermeter_schedule_lag_seconds", s.schedule_lag_ms);
}

// The per-token gaps go in through one batched update; the buckets must be those that observing
// each token's gap one by one gives.
TEST_F(LiveRunExporterTest, BatchedInterTokenBucketsEqualObservingEachToken) {
  Start();
  const std::vector<RequestRecord> requests = SomeRequests();
  for (const RequestRecord& r : requests) exporter_.OnRequestFinished(r);
  const auto exported =
      Collect().Get("infermeter_inter_token_latency_seconds", {{"run_id", "1"}}).histogram;

  std::vector<double> bounds;
  for (const auto& bucket : exported.bucket) {
    if (std::isfinite(bucket.upper_bound)) bounds.push_back(bucket.upper_bound);
  }
  prometheus::Histogram one_by_one(bounds);
  for (const RequestRecord& r : requests) {
    if (r.status != RequestStatus::kOk) continue;
    results::ForEachTokenGap(r.chunks, [&](std::int64_t gap_ns, std::int32_t tokens) {
      for (std::int32_t i = 0; i < tokens; ++i) {
        one_by_one.Observe(static_cast<double>(gap_ns) / 1e9 / tokens);
      }
    });
  }
  const auto expected = one_by_one.Collect().histogram;
  ASSERT_EQ(exported.bucket.size(), expected.bucket.size());
  for (std::size_t i = 0; i < expected.bucket.size(); ++i) {
    EXPECT_EQ(exported.bucket[i].cumulative_count, expected.bucket[i].cumulative_count)
        << "bucket le=" << expected.bucket[i].upper_bound;
  }
  EXPECT_NEAR(exported.sample_sum, expected.sample_sum, 1e-12);
}

TEST_F(LiveRunExporterTest, SamplesBecomeGaugesAndCountersInBaseUnits) {
  Start();
  const auto sample = [](std::string source, std::string metric, double value,
                         std::string labels = "{}") {
    return SampleRecord{.run_id = RunId{1},
                        .time_ns = 0,
                        .source = std::move(source),
                        .metric = std::move(metric),
                        .labels_json = std::move(labels),
                        .value = value};
  };
  exporter_.OnSampled({sample("kv_cache", "kv_used_bytes", 4096),
                       sample("kv_cache", "kv_used_bytes", 1024, R"({"kind":"window"})"),
                       sample("kv_cache", "kv_capacity_bytes", 1 << 20),
                       sample("nvml", "gpu_utilization_percent", 87, R"({"gpu":"1"})"),
                       sample("nvml", "gpu_energy_j", 10, R"({"gpu":"1"})"),
                       sample("flops", "flops_total", 1e12),
                       sample("flops", "request_flops", 5, R"({"request":"7"})"),
                       sample("latency", "in_flight_requests", 3)});
  exporter_.OnSampled({sample("nvml", "gpu_energy_j", 25, R"({"gpu":"1"})"),
                       sample("flops", "flops_total", 3e12),
                       sample("latency", "in_flight_requests", 2)});
  const Scrape scrape = Collect();
  EXPECT_EQ(scrape.Value("infermeter_kv_cache_used_bytes", {{"run_id", "1"}, {"source", "engine"}}),
            4096);
  EXPECT_EQ(
      scrape.Value("infermeter_kv_cache_used_by_kind_bytes", {{"run_id", "1"}, {"kind", "window"}}),
      1024);
  EXPECT_EQ(scrape.Count("infermeter_kv_cache_used_bytes"), 1u);  // the total only
  EXPECT_DOUBLE_EQ(scrape.Value("infermeter_accelerator_utilization_ratio",
                                {{"run_id", "1"}, {"accelerator", "gpu"}, {"device", "1"}}),
                   0.87);
  // Running totals since the run started become counters that end at the last total.
  EXPECT_EQ(scrape.Value("infermeter_accelerator_energy_joules_total",
                         {{"run_id", "1"}, {"device", "1"}}),
            25);
  EXPECT_EQ(scrape.Value("infermeter_flops_total"), 3e12);
  EXPECT_EQ(scrape.Value("infermeter_requests_in_flight"), 2);
  // Per-request series are stored, never exported (unbounded labels).
  for (const char* family : {"infermeter_request_flops", "request_flops"}) {
    EXPECT_FALSE(scrape.Has(family));
  }
  // Families appear with their first series: nothing about NPUs on this "machine".
  EXPECT_FALSE(scrape.Has("infermeter_mfu_ratio"));
}

// As in a run: requests on the scheduler thread, samples on the sampling thread (families made
// on first use), and scrapes from the endpoint's threads, all at once. The totals must come out
// exact (and the sanitizer preset checks the memory accesses).
TEST_F(LiveRunExporterTest, RequestsSamplesAndScrapesFromTheirOwnThreads) {
  Start();
  constexpr int kRequests = 2000;
  std::atomic<bool> done{false};
  std::thread scheduler([&] {
    for (int i = 0; i < kRequests; ++i) {
      exporter_.OnRequestFinished(Request(1 + i % 3, 0, {{40, 1}, {50, 2}, {70, 1}}));
    }
  });
  std::thread sampler([&] {
    for (int i = 0; !done.load(); ++i) {
      const SampleRecord kv{.run_id = RunId{1},
                            .time_ns = i,
                            .source = "kv_cache",
                            .metric = "kv_used_bytes",
                            .labels_json = i % 2 ? R"({"kind":"window"})" : "{}",
                            .value = static_cast<double>(i)};
      const SampleRecord energy{.run_id = RunId{1},
                                .time_ns = i,
                                .source = "nvml",
                                .metric = "gpu_energy_j",
                                .labels_json = fmt::format(R"({{"gpu":"{}"}})", i % 4),
                                .value = static_cast<double>(i)};
      exporter_.OnSampled({kv, energy});
    }
  });
  std::vector<std::thread> scrapers;
  for (int t = 0; t < 2; ++t) {
    scrapers.emplace_back([&] {
      while (!done.load()) (void)exporter_.collectable()->Collect();
    });
  }
  scheduler.join();
  done = true;
  sampler.join();
  for (auto& scraper : scrapers) scraper.join();
  const Scrape scrape = Collect();
  EXPECT_EQ(scrape.Value("infermeter_requests_total", {{"run_id", "1"}, {"status", "ok"}}),
            kRequests);
  EXPECT_EQ(scrape.Value("infermeter_output_tokens_total"), 4.0 * kRequests);
  EXPECT_EQ(scrape.Get("infermeter_inter_token_latency_seconds", {{"run_id", "1"}})
                .histogram.sample_count,
            3u * kRequests);
}

TEST_F(LiveRunExporterTest, RunInfoSaysRunningThenHowTheRunEnded) {
  Start();
  Scrape scrape = Collect();
  ASSERT_EQ(scrape.Count("infermeter_run_info"), 1u);
  auto labels = scrape.Labels("infermeter_run_info");
  EXPECT_EQ(labels["status"], "running");
  EXPECT_EQ(labels["validity"], "");
  EXPECT_EQ(labels["hardware"], "2x NVIDIA H100");
  EXPECT_EQ(labels["site"], "lab-2");
  EXPECT_EQ(labels["label_run_id"], "clash");
  EXPECT_EQ(labels["run_id"], "1");

  const std::vector<results::RunMetric> metrics{
      {RunId{1}, "ttft_p99_ms", 250, "ms"},
      {RunId{1}, "output_tokens_per_s", 1234.5, "tokens/s"},
      {RunId{1}, "ttft_count", 3, "requests"}};
  exporter_.OnRunFinished({.run = RunId{1},
                           .status = results::RunStatus::kCompleted,
                           .validity = results::Validity::kInvalid,
                           .metrics = &metrics,
                           .end_unix_ns = 1'700'000'060'000'000'000});
  scrape = Collect();
  ASSERT_EQ(scrape.Count("infermeter_run_info"), 1u);
  labels = scrape.Labels("infermeter_run_info");
  EXPECT_EQ(labels["status"], "completed");
  EXPECT_EQ(labels["validity"], "invalid");
  EXPECT_DOUBLE_EQ(scrape.Value("infermeter_run_ttft_seconds", {{"run_id", "1"}, {"stat", "p99"}}),
                   0.25);
  EXPECT_DOUBLE_EQ(scrape.Value("infermeter_run_output_tokens_per_second"), 1234.5);
  EXPECT_EQ(scrape.Value("infermeter_run_ttft_samples"), 3);
  EXPECT_DOUBLE_EQ(scrape.Value("infermeter_run_end_time_seconds"), 1'700'000'060.0);

  // A second run of the same process: its own series; the first run's stay.
  Start(2);
  exporter_.OnRequestFinished(SomeRequests().front());
  scrape = Collect();
  EXPECT_EQ(scrape.Count("infermeter_run_info"), 2u);
  EXPECT_EQ(scrape.Value("infermeter_requests_total", {{"run_id", "2"}, {"status", "ok"}}), 1);
  EXPECT_EQ(scrape.Value("infermeter_requests_total", {{"run_id", "1"}, {"status", "ok"}}), 0);
}

}  // namespace
}  // namespace infermeter::exporter
