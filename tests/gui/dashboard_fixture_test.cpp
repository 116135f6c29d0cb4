// The dashboard's fixture file, read back through ResultsStore::OpenForReading: the six runs,
// their hardware, requests, samples and figures, and that writing it twice gives the same rows.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "fixture_db.h"
#include "infermeter/results/store.h"
#include "temp_db.h"

namespace infermeter::testing {
namespace {

std::map<std::string, double> Metrics(results::ResultsStore& store, RunId run) {
  std::map<std::string, double> m;
  for (const auto& metric : store.LoadRunMetrics(run)) m[metric.name] = metric.value;
  return m;
}

// source/metric/labels of every series of a run.
std::set<std::string> SeriesNames(results::ResultsStore& store, RunId run) {
  std::set<std::string> names;
  for (const auto& s : store.LoadSamples(run)) {
    names.insert(s.source + "/" + s.metric + (s.labels_json == "{}" ? "" : s.labels_json));
  }
  return names;
}

class DashboardFixtureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    path_ = dir_->File("fixture.db");
    const auto begin = std::chrono::steady_clock::now();
    runs_ = WriteDashboardFixture(path_);
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static TempDir* dir_;
  static std::string path_;
  static FixtureRuns runs_;
  static double seconds_;
};

TempDir* DashboardFixtureTest::dir_ = nullptr;
std::string DashboardFixtureTest::path_;
FixtureRuns DashboardFixtureTest::runs_;
double DashboardFixtureTest::seconds_ = 0;

TEST_F(DashboardFixtureTest, WritesQuickly) {
  std::printf("fixture written in %.3f s\n", seconds_);
  EXPECT_LT(seconds_, 10.0);  // about 1 s in the release build; sanitizers are slower
}

TEST_F(DashboardFixtureTest, SixRunsWithTheirStatusesAndVerdicts) {
  auto store = results::ResultsStore::OpenForReading(path_);
  const auto runs = store.ListRuns();
  ASSERT_EQ(runs.size(), 6u);
  const std::set<std::int64_t> ids = {
      runs_.h100_chat.value,   runs_.h100_agentic.value,   runs_.h100_failed_requests.value,
      runs_.ascend_chat.value, runs_.ascend_agentic.value, runs_.running.value};
  EXPECT_EQ(ids.size(), 6u);
  for (const RunId id :
       {runs_.h100_chat, runs_.h100_agentic, runs_.ascend_chat, runs_.ascend_agentic}) {
    const auto run = store.GetRun(id);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, results::RunStatus::kCompleted) << run->info.name;
    EXPECT_EQ(run->validity, results::Validity::kValid) << run->info.name;
    EXPECT_TRUE(run->validity_reasons.empty()) << run->info.name;
    EXPECT_TRUE(run->finished_unix_ns && *run->finished_unix_ns > run->created_unix_ns);
    EXPECT_EQ(run->info.model, "deepseek-v4-flash");
    EXPECT_EQ(run->info.engine, "openai");
  }
  const auto failed = store.GetRun(runs_.h100_failed_requests);
  EXPECT_EQ(failed->status, results::RunStatus::kCompleted);
  EXPECT_EQ(failed->validity, results::Validity::kInvalid);
  ASSERT_FALSE(failed->validity_reasons.empty());
  EXPECT_NE(failed->validity_reasons.front().find("fail"), std::string::npos)
      << failed->validity_reasons.front();

  const auto running = store.GetRun(runs_.running);
  EXPECT_EQ(running->status, results::RunStatus::kRunning);
  EXPECT_FALSE(running->validity);
  EXPECT_FALSE(running->finished_unix_ns);
  EXPECT_EQ(running->collectors_json, "{}");
  EXPECT_TRUE(Metrics(store, runs_.running).empty());
}

TEST_F(DashboardFixtureTest, TwoKindsOfHardware) {
  auto store = results::ResultsStore::OpenForReading(path_);
  for (const RunId id :
       {runs_.h100_chat, runs_.h100_agentic, runs_.h100_failed_requests, runs_.running}) {
    const auto run = store.GetRun(id);
    const auto hw = nlohmann::json::parse(run->info.hardware_json);
    ASSERT_EQ(hw["gpus"].size(), 8u) << run->info.name;
    EXPECT_TRUE(hw["npus"].empty());
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(hw["gpus"][i]["index"], i);
      EXPECT_EQ(hw["gpus"][i]["name"], "NVIDIA H100 80GB HBM3");
      EXPECT_GT(hw["gpus"][i]["memory_total_bytes"].get<std::int64_t>(), 80'000'000'000);
    }
    EXPECT_EQ(run->info.labels.at("hardware"), "h100");
  }
  for (const RunId id : {runs_.ascend_chat, runs_.ascend_agentic}) {
    const auto run = store.GetRun(id);
    const auto hw = nlohmann::json::parse(run->info.hardware_json);
    ASSERT_EQ(hw["npus"].size(), 8u);
    EXPECT_TRUE(hw["gpus"].empty());
    EXPECT_EQ(hw["npus"][3]["npu_id"], 3);
    EXPECT_EQ(hw["npus"][3]["name"], "910B3");
    EXPECT_EQ(run->info.labels.at("hardware"), "ascend");
    const auto collectors = nlohmann::json::parse(run->collectors_json);
    EXPECT_EQ(collectors["ascend"]["status"], "ran");
    EXPECT_EQ(collectors["nvml"]["status"], "not running");
  }
  const auto collectors = nlohmann::json::parse(store.GetRun(runs_.h100_chat)->collectors_json);
  for (const char* name : {"latency", "system", "nvml", "flops", "kv_cache", "energy"}) {
    EXPECT_EQ(collectors[name]["status"], "ran") << name;
  }
  EXPECT_EQ(collectors["ascend"]["status"], "not running");
}

TEST_F(DashboardFixtureTest, LikeForLikeWorkloads) {
  auto store = results::ResultsStore::OpenForReading(path_);
  const auto h100_chat = store.GetRun(runs_.h100_chat);
  const auto ascend_chat = store.GetRun(runs_.ascend_chat);
  EXPECT_EQ(h100_chat->info.workload_name, "chat");
  EXPECT_EQ(h100_chat->info.workload_name, ascend_chat->info.workload_name);
  EXPECT_EQ(h100_chat->info.workload_hash, ascend_chat->info.workload_hash);
  EXPECT_EQ(h100_chat->info.workload_hash.size(), 16u);
  const auto h100_agentic = store.GetRun(runs_.h100_agentic);
  EXPECT_EQ(h100_agentic->info.workload_hash,
            store.GetRun(runs_.ascend_agentic)->info.workload_hash);
  EXPECT_NE(h100_agentic->info.workload_hash, h100_chat->info.workload_hash);
  EXPECT_NE(store.GetRun(runs_.h100_failed_requests)->info.workload_hash,
            h100_chat->info.workload_hash);
  EXPECT_NE(store.GetRun(runs_.running)->info.workload_hash, h100_chat->info.workload_hash);
}

TEST_F(DashboardFixtureTest, Requests) {
  auto store = results::ResultsStore::OpenForReading(path_);
  EXPECT_EQ(store.GetRun(runs_.h100_chat)->request_count, 1500);
  EXPECT_EQ(store.GetRun(runs_.ascend_chat)->request_count, 1500);
  const auto agentic = store.LoadRequests(runs_.h100_agentic);
  EXPECT_GE(agentic.size(), 300u);
  EXPECT_LE(agentic.size(), 2000u);
  EXPECT_EQ(store.GetRun(runs_.ascend_agentic)->request_count,
            static_cast<std::int64_t>(agentic.size()));
  const std::int64_t running = store.GetRun(runs_.running)->request_count;
  EXPECT_GT(running, 50);
  EXPECT_LT(running, 5000);

  // Chat: prompts 200-8000, outputs 50-400, chunks of 1-4 tokens on one clock.
  for (const auto& r : store.LoadRequests(runs_.h100_chat)) {
    ASSERT_EQ(r.status, results::RequestStatus::kOk);
    EXPECT_GE(r.input_tokens, 200);
    EXPECT_LE(r.input_tokens, 8000);
    EXPECT_GE(r.output_tokens, 50);
    EXPECT_LE(r.output_tokens, 400);
    ASSERT_TRUE(r.sent_ns && r.first_token_ns && r.last_token_ns && r.done_ns);
    EXPECT_LE(r.scheduled_ns, *r.sent_ns);
    EXPECT_LT(*r.sent_ns, *r.first_token_ns);
    EXPECT_LE(*r.last_token_ns, *r.done_ns);
    std::int64_t tokens = 0;
    for (const auto& c : r.chunks) {
      EXPECT_GE(c.tokens, 1);
      EXPECT_LE(c.tokens, 4);
      tokens += c.tokens;
    }
    EXPECT_EQ(tokens, r.output_tokens);
    EXPECT_FALSE(r.session_id);
  }

  // Agentic: sessions of several turns, the tool's time between a turn's end and the next.
  std::map<std::string, std::vector<const results::RequestRecord*>> sessions;
  for (const auto& r : agentic) {
    ASSERT_TRUE(r.session_id && r.turn_index);
    sessions[*r.session_id].push_back(&r);
  }
  EXPECT_GE(sessions.size(), 50u);
  for (auto& [id, turns] : sessions) {
    std::sort(turns.begin(), turns.end(),
              [](const auto* a, const auto* b) { return *a->turn_index < *b->turn_index; });
    EXPECT_GE(turns.size(), 2u) << id;
    for (std::size_t i = 0; i < turns.size(); ++i) {
      EXPECT_EQ(*turns[i]->turn_index, static_cast<std::int32_t>(i));
      if (i == 0) continue;
      EXPECT_GE(turns[i]->scheduled_ns - *turns[i - 1]->done_ns, 150'000'000) << id;
      EXPECT_GT(turns[i]->input_tokens, turns[i - 1]->input_tokens);
      EXPECT_GT(turns[i]->cached_tokens, 0);
    }
  }

  // Failed requests of two classes.
  std::map<std::string, int> errors;
  for (const auto& r : store.LoadRequests(runs_.h100_failed_requests)) {
    if (r.status == results::RequestStatus::kError) ++errors[r.error_class];
  }
  EXPECT_GT(errors["timeout"], 0);
  EXPECT_GT(errors["http_503"], 0);
  EXPECT_EQ(errors.size(), 2u);
}

TEST_F(DashboardFixtureTest, RunMetrics) {
  auto store = results::ResultsStore::OpenForReading(path_);
  for (const RunId id : {runs_.h100_chat, runs_.h100_agentic, runs_.h100_failed_requests,
                         runs_.ascend_chat, runs_.ascend_agentic}) {
    const auto m = Metrics(store, id);
    const bool h100 = id != runs_.ascend_chat && id != runs_.ascend_agentic;
    for (const char* name : {"output_tokens_per_s",
                             "request_throughput_per_s",
                             "ttft_p50_ms",
                             "ttft_p90_ms",
                             "ttft_p99_ms",
                             "ttft_mean_ms",
                             "tpot_p50_ms",
                             "tpot_p99_ms",
                             "itl_p50_ms",
                             "itl_p99_ms",
                             "e2e_p50_ms",
                             "e2e_p99_ms",
                             "goodput_requests_per_s",
                             "mfu",
                             "achieved_flops_per_s",
                             "kv_bytes_peak",
                             "output_tokens_per_j",
                             "requests_completed",
                             "requests_failed",
                             "duration_s",
                             h100 ? "gpu_power_mean_w" : "npu_power_mean_w"}) {
      ASSERT_TRUE(m.contains(name)) << name << " in run " << id.value;
      EXPECT_GE(m.at(name), 0) << name;
    }
    EXPECT_GT(m.at("mfu"), 0.005);
    EXPECT_LT(m.at("mfu"), 0.6);
  }
  const auto h100 = Metrics(store, runs_.h100_chat);
  const auto ascend = Metrics(store, runs_.ascend_chat);
  const double ratio = ascend.at("output_tokens_per_s") / h100.at("output_tokens_per_s");
  EXPECT_GT(ratio, 0.6);
  EXPECT_LT(ratio, 0.8);
  EXPECT_GT(ascend.at("ttft_p50_ms"), h100.at("ttft_p50_ms") * 1.3);
  EXPECT_EQ(h100.at("requests_completed"), 1500);

  const auto failed = Metrics(store, runs_.h100_failed_requests);
  EXPECT_GT(failed.at("requests_failed"), 0);
  EXPECT_GT(failed.at("errors_timeout"), 0);
  EXPECT_GT(failed.at("errors_http_503"), 0);
}

TEST_F(DashboardFixtureTest, Samples) {
  auto store = results::ResultsStore::OpenForReading(path_);
  const auto h100 = SeriesNames(store, runs_.h100_chat);
  for (const char* name :
       {"requests/output_tokens_per_s", "requests/input_tokens_per_s",
        "requests/in_flight_requests", "latency/in_flight_requests", "kv_cache/kv_used_bytes",
        "kv_cache/kv_capacity_bytes", "flops/flops_per_s", "flops/mfu",
        "flops/analytic_flops_per_s", R"(nvml/gpu_memory_used_bytes{"gpu":"0"})",
        R"(nvml/gpu_utilization_percent{"gpu":"0"})", R"(nvml/gpu_power_watts{"gpu":"7"})"}) {
    EXPECT_TRUE(h100.contains(name)) << name;
  }
  const auto ascend = SeriesNames(store, runs_.ascend_chat);
  for (const char* name : {"requests/output_tokens_per_s", "kv_cache/kv_used_bytes", "flops/mfu",
                           R"(ascend/npu_memory_used_bytes{"chip":"0","npu":"0"})",
                           R"(ascend/npu_aicore_utilization_percent{"chip":"0","npu":"0"})",
                           R"(ascend/npu_power_watts{"chip":"0","npu":"7"})"}) {
    EXPECT_TRUE(ascend.contains(name)) << name;
  }
  EXPECT_FALSE(ascend.contains(R"(nvml/gpu_power_watts{"gpu":"0"})"));

  // Sampled every 500 ms over the run.
  int power_points = 0;
  for (const auto& s : store.LoadSamples(runs_.h100_chat)) {
    if (s.metric == "gpu_power_watts" && s.labels_json == R"({"gpu":"0"})") ++power_points;
  }
  const double duration_s = Metrics(store, runs_.h100_chat).at("duration_s");
  EXPECT_NEAR(power_points, duration_s * 2, 4);

  // The running run: live samples only; the series rebuilt from requests come at its end.
  const auto running = SeriesNames(store, runs_.running);
  EXPECT_TRUE(running.contains("latency/in_flight_requests"));
  EXPECT_TRUE(running.contains("kv_cache/kv_used_bytes"));
  EXPECT_TRUE(running.contains(R"(nvml/gpu_power_watts{"gpu":"0"})"));
  EXPECT_FALSE(running.contains("requests/output_tokens_per_s"));
}

TEST_F(DashboardFixtureTest, SameRowsEveryTime) {
  const std::string again = dir_->File("again.db");
  const FixtureRuns runs = WriteDashboardFixture(again);
  auto a = results::ResultsStore::OpenForReading(path_);
  auto b = results::ResultsStore::OpenForReading(again);
  EXPECT_EQ(runs.ascend_agentic, runs_.ascend_agentic);
  for (const RunId id : {runs_.h100_failed_requests, runs_.ascend_agentic, runs_.running}) {
    EXPECT_TRUE(a.LoadRequests(id) == b.LoadRequests(id));
    EXPECT_TRUE(a.LoadSamples(id) == b.LoadSamples(id));
    EXPECT_TRUE(a.LoadRunMetrics(id) == b.LoadRunMetrics(id));
    EXPECT_EQ(a.GetRun(id)->created_unix_ns, b.GetRun(id)->created_unix_ns);
    EXPECT_EQ(a.GetRun(id)->collectors_json, b.GetRun(id)->collectors_json);
  }
}

}  // namespace
}  // namespace infermeter::testing
