#include "compare_fixture.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <utility>

#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"

namespace infermeter::testing {
namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kUs = 1'000;
constexpr std::int64_t kStartNs = 5'000 * 1'000'000'000LL;

// std::mt19937_64's output is specified; the standard distributions are not, so the uniform
// draw is written out.
class Draws {
 public:
  explicit Draws(std::uint64_t seed) : engine_(seed) {}
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  std::int64_t Int(std::int64_t lo, std::int64_t hi) {                           // [lo, hi]
    return lo + static_cast<std::int64_t>(engine_() % static_cast<std::uint64_t>(hi - lo + 1));
  }

 private:
  std::mt19937_64 engine_;
};

std::int64_t Ns(double ms) { return std::llround(ms * 1e6); }

struct RunSpec {
  std::string name;
  std::string model = "m1";
  std::string workload_name = "chat";
  std::string workload_hash = kWorkloadHash;
  harness::SloSettings slo = DefaultSlo();
  RunShape shape;
  results::RunStatus status = results::RunStatus::kCompleted;
  results::Validity validity = results::Validity::kValid;
  std::vector<std::string> reasons;
  std::optional<std::int64_t> group_id;
  std::string group_point;
  std::map<std::string, std::string> labels;
};

RunId WriteRun(results::ResultsStore& store, results::ResultsWriter& writer, const RunSpec& spec) {
  results::RunInfo info;
  info.name = spec.name;
  info.engine = "reference";
  info.model = spec.model;
  info.hardware_json =
      R"({"cpu_model":"Test CPU","device":"cpu","gpus":[{"name":"GPU A"},{"name":"GPU A"}],)"
      R"("npus":[]})";
  info.workload_name = spec.workload_name;
  info.workload_hash = spec.workload_hash;
  info.group_id = spec.group_id;
  info.group_point = spec.group_point;
  info.labels = spec.labels;
  const RunId run = store.BeginRun(info);
  std::vector<results::RequestRecord> requests = MakeRequests(spec.shape);
  for (results::RequestRecord& r : requests) r.run_id = run;
  const harness::RunSummary summary = harness::SummarizeRun(requests, spec.slo);
  for (results::RunMetric& m : harness::ToRunMetrics(summary, run)) writer.Add(std::move(m));
  for (results::RequestRecord& r : requests) writer.Add(std::move(r));
  store.FinishRun(run, spec.status, 1'800'000'000LL * 1'000'000'000LL);
  store.SetRunValidity(run, spec.validity, spec.reasons);
  return run;
}

}  // namespace

harness::SloSettings DefaultSlo() { return {.ttft_ms = 60, .tpot_ms = 12}; }

std::vector<results::RequestRecord> MakeRequests(const RunShape& shape) {
  Draws workload(shape.workload_seed);
  Draws noise(shape.noise_seed);
  std::vector<results::RequestRecord> out;
  for (int i = 0; i < shape.requests; ++i) {
    results::RequestRecord r;
    r.request_id = i;
    r.scheduled_ns = kStartNs + i * shape.spacing_ns;
    r.released_ns = r.scheduled_ns;
    r.sent_ns = r.scheduled_ns + noise.Int(5, 50) * kUs;
    r.input_tokens = workload.Int(100, 1000);
    const std::int64_t wanted = i % 25 == 3 ? 1 : workload.Int(8, 40);
    r.requested_output_tokens = wanted;
    const double u = noise.Uniform();
    double ttft_ms = (20 + 80 * u * u) * shape.ttft_scale;
    if (i % 30 == 0) ttft_ms *= 5;  // a tail
    const double tpot_ms = 10 * shape.tpot_scale * (0.9 + 0.2 * noise.Uniform());
    if (i % 40 == 17) {  // failed: no token, an error after a while
      r.status = results::RequestStatus::kError;
      r.error_class = "timeout";
      r.error_message = "no answer";
      r.done_ns = *r.sent_ns + 2'000 * kMs;
      out.push_back(std::move(r));
      continue;
    }
    std::int64_t t = *r.sent_ns + Ns(ttft_ms);
    if (i % 7 == 0) r.chunks.push_back({.time_ns = t - Ns(ttft_ms / 2), .tokens = 0});  // role
    r.chunks.push_back({.time_ns = t, .tokens = 1});
    // Usage may count tokens no chunk carried (they arrive with the end).
    const std::int64_t streamed = i % 9 == 4 && wanted > 4 ? wanted - 3 : wanted;
    std::int64_t produced = 1;
    while (produced < streamed) {
      const std::int64_t k = std::min<std::int64_t>(noise.Int(1, 3), streamed - produced);
      t += Ns(static_cast<double>(k) * tpot_ms * (0.8 + 0.4 * noise.Uniform()));
      r.chunks.push_back({.time_ns = t, .tokens = static_cast<std::int32_t>(k)});
      produced += k;
    }
    r.first_token_ns = r.chunks[i % 7 == 0 ? 1 : 0].time_ns;
    r.last_token_ns = t;
    r.done_ns = t + kMs;
    r.output_tokens = wanted;
    r.finish_reason = "length";
    if (i == 101) {  // cancelled at the drain, part-way through
      r.status = results::RequestStatus::kCancelled;
      r.finish_reason = "cancelled";
    }
    out.push_back(std::move(r));
  }
  return out;
}

CompareFixture WriteCompareFixture(const std::string& db_path) {
  CompareFixture f{.db_path = db_path};
  auto store = results::ResultsStore::OpenForWriting(db_path);
  results::ResultsWriter writer(db_path);
  f.fast = WriteRun(
      store, writer,
      {.name = "fast", .shape = {.noise_seed = 101}, .labels = {{"price_per_hour", "10"}}});
  f.slow = WriteRun(store, writer,
                    {.name = "slow",
                     .shape = {.noise_seed = 102, .ttft_scale = 2, .tpot_scale = 1.5},
                     .validity = results::Validity::kInvalid,
                     .reasons = {"schedule lag too high"},
                     .labels = {{"price_per_hour", "20"}}});
  f.other_workload = WriteRun(store, writer,
                              {.name = "other workload",
                               .workload_name = "agentic",
                               .workload_hash = "00000000000000bb",
                               .shape = {.requests = 60, .workload_seed = 2, .noise_seed = 103}});
  f.other_model = WriteRun(
      store, writer,
      {.name = "other model", .model = "m2", .shape = {.requests = 60, .noise_seed = 104}});
  f.other_slo = WriteRun(store, writer,
                         {.name = "other slo",
                          .slo = {.ttft_ms = 80, .tpot_ms = 12},
                          .shape = {.requests = 60, .noise_seed = 105}});
  f.by_name_same = WriteRun(
      store, writer,
      {.name = "by name", .workload_hash = "", .shape = {.requests = 20, .noise_seed = 107}});
  f.by_name_other = WriteRun(store, writer,
                             {.name = "by name 2",
                              .workload_name = "chat-2",
                              .workload_hash = "",
                              .shape = {.requests = 20, .noise_seed = 108}});
  f.unfinished = WriteRun(store, writer,
                          {.name = "unfinished",
                           .shape = {.requests = 60, .noise_seed = 106},
                           .status = results::RunStatus::kInterrupted});

  f.twin = WriteRun(store, writer, {.name = "twin", .shape = {.noise_seed = 101}});
  f.twin_elsewhere = WriteRun(store, writer,
                              {.name = "twin elsewhere",
                               .workload_hash = "00000000000000cc",
                               .shape = {.noise_seed = 101}});

  f.repeat_group = store.BeginGroup({.kind = results::RunGroupKind::kRepeat, .name = "repeat x3"});
  for (int i = 0; i < 3; ++i) {
    f.repeats.push_back(WriteRun(store, writer,
                                 {.name = "repeat #" + std::to_string(i + 1),
                                  .shape = {.requests = 60,
                                            .noise_seed = 200 + static_cast<std::uint64_t>(i),
                                            .ttft_scale = 1 + 0.1 * i},
                                  .group_id = f.repeat_group,
                                  .group_point = "repeat=" + std::to_string(i + 1)}));
  }
  f.sweep_group = store.BeginGroup({.kind = results::RunGroupKind::kSweep, .name = "sweep"});
  WriteRun(store, writer,
           {.name = "sweep rate=1",
            .shape = {.requests = 20, .noise_seed = 300},
            .group_id = f.sweep_group,
            .group_point = "rate=1"});
  f.empty_repeat_group =
      store.BeginGroup({.kind = results::RunGroupKind::kRepeat, .name = "repeat x2 (empty)"});
  writer.Close();
  return f;
}

}  // namespace infermeter::testing
