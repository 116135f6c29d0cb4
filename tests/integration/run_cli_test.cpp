// `infermeter run` end to end: the real binary, the embedded reference engine (`tiny` preset, one
// compute thread) and a real SQLite file, read back through the results library. Covers the JSON
// summary against the stored rows, sweeps, repeats, the max-goodput search, closed loop and
// warm-up, the
// replay of a real public trace, bad input (clear errors, nothing stored), Ctrl-C, and --help.
//
// Runs ask for --max-schedule-lag-p99-ms 1000 where the test needs a VALID verdict: the default
// 5 ms limit measures this machine's load (other builds and tests share its two cores), which is
// not what these tests are about.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <tuple>
#include <vector>

#include "infermeter/core/error.h"
#include "infermeter/results/store.h"
#include "process.h"
#include "temp_db.h"

extern char** environ;

namespace infermeter {
namespace {

using testing::RunProcess;
using testing::ShellQuote;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

std::string Bin() { return ShellQuote(INFERMETER_BIN); }

// Short synthetic requests on the smallest model: each run below takes a second or two.
const std::string kTiny = " run --model tiny --threads 1 --no-progress";
const std::string kSynthetic = kTiny + " --workload synthetic --input-tokens 64 --output-tokens 8";
const std::string kLenientLag = " --max-schedule-lag-p99-ms 1000";

std::string DbOption(const std::string& path) { return " --db " + ShellQuote(path); }

std::map<std::string, double> MetricsByName(results::ResultsStore& store, RunId run) {
  std::map<std::string, double> metrics;
  for (const auto& metric : store.LoadRunMetrics(run)) metrics[metric.name] = metric.value;
  return metrics;
}

// Stored REAL values and the JSON text both round-trip doubles; allow for the last bit anyway.
void ExpectSameFigure(double stored, double printed, const std::string& what) {
  EXPECT_NEAR(stored, printed, 1e-9 * std::max(1.0, std::abs(printed))) << what;
}

void ExpectDistribution(const nlohmann::json& d, const std::string& name) {
  for (const char* key :
       {"count", "p50", "p90", "p95", "p99", "p99_9", "mean", "std", "min", "max"}) {
    ASSERT_TRUE(d.contains(key)) << name << " has no " << key << ": " << d.dump();
    EXPECT_TRUE(d[key].is_number()) << name << "." << key;
  }
  EXPECT_GT(d["count"].get<double>(), 0) << name;
  EXPECT_GT(d["min"].get<double>(), 0) << name;
  // Nearest-rank percentiles are ordered, and lie within [min, max].
  const char* ordered[] = {"min", "p50", "p90", "p95", "p99", "p99_9", "max"};
  for (std::size_t i = 1; i < std::size(ordered); ++i) {
    EXPECT_LE(d[ordered[i - 1]].get<double>(), d[ordered[i]].get<double>())
        << name << ": " << ordered[i - 1] << " > " << ordered[i];
  }
  EXPECT_LE(d["min"].get<double>(), d["mean"].get<double>()) << name;
  EXPECT_LE(d["mean"].get<double>(), d["max"].get<double>()) << name;
  EXPECT_GE(d["std"].get<double>(), 0) << name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// --- A child process we can signal (process.h only runs a command to its end). ----------------

class Child {
 public:
  // Runs `args` (args[0] is the program) with stdout and stderr going to the two files.
  Child(const std::vector<std::string>& args, const std::string& out_path,
        const std::string& err_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    // Default SIGINT handling and an empty mask, whatever the test runner left us (a background
    // job's shell ignores SIGINT, and ignored signals survive exec).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) pid_ = -1;
    started_ = Clock::now();
  }

  ~Child() {
    if (running()) {
      kill(pid_, SIGKILL);  // only our own child, when a test failed before it ended
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool started() const { return pid_ > 0; }
  bool running() const { return pid_ > 0 && !exit_code_; }
  double seconds_since_start() const {
    return std::chrono::duration<double>(Clock::now() - started_).count();
  }
  void Signal(int signal) const {
    if (running()) kill(pid_, signal);
  }

  // The exit code (128 + signal when killed by one), or nothing if it is still running after
  // `timeout_s`.
  std::optional<int> Wait(double timeout_s) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
    while (!exit_code_) {
      int status = 0;
      const pid_t done = waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (done < 0 || Clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  Clock::time_point started_;
  std::optional<int> exit_code_;
};

// Waits until the database holds a run with at least one stored request: by then the engine is
// loaded, the interrupt handler installed and the writer committing. False on timeout or when
// the child ended first.
bool WaitForStoredRequests(Child& child, const std::string& db, double timeout_s) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (Clock::now() < deadline) {
    if (child.Wait(0)) return false;
    if (std::filesystem::exists(db)) {
      try {
        auto store = results::ResultsStore::OpenForReading(db);
        const auto runs = store.ListRuns();
        if (!runs.empty() && runs.back().request_count > 0) return true;
      } catch (const Error&) {
        // Not created or migrated yet.
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// --- 1. A synthetic run: the JSON summary and the stored rows agree. -------------------------

TEST(RunCli, SyntheticRunJsonMatchesStoredRun) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const auto result = RunProcess(Bin() + kSynthetic + kLenientLag +
                                 " --requests 12 --rate 20 --json" + DbOption(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // With --json, stdout is exactly one JSON document.
  const auto j = nlohmann::json::parse(result.out);

  ASSERT_TRUE(j["run_id"].is_number_integer()) << j.dump(2);
  EXPECT_EQ(j["scenario"], "synthetic");
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["validity"], "valid") << j["validity_reasons"].dump();
  EXPECT_TRUE(j["validity_reasons"].empty());
  EXPECT_EQ(j["stop_reason"], "max_requests");
  EXPECT_EQ(j["requests"]["completed"], 12);
  EXPECT_EQ(j["requests"]["failed"], 0);
  EXPECT_EQ(j["requests"]["cancelled"], 0);
  EXPECT_EQ(j["requests"]["total"], 12);
  EXPECT_EQ(j["requests"]["warmup"], 0);
  // ignore_eos is the default: exact lengths.
  EXPECT_EQ(j["tokens"]["input"], 12 * 64);
  EXPECT_EQ(j["tokens"]["output"], 12 * 8);
  EXPECT_EQ(j["tokens"]["usage_mismatches"], 0);
  EXPECT_GT(j["duration_s"].get<double>(), 0);
  for (const char* key : {"requests_per_s", "input_tokens_per_s", "output_tokens_per_s",
                          "total_tokens_per_s", "peak_output_tokens_per_s"}) {
    EXPECT_GT(j["throughput"][key].get<double>(), 0) << key;
  }
  EXPECT_NEAR(j["throughput"]["output_tokens_per_s"].get<double>(),
              96.0 / j["duration_s"].get<double>(), 1e-6);
  for (const char* figure : {"ttft", "tpot", "itl", "e2e"}) {
    ExpectDistribution(j["latency_ms"][figure], figure);
  }
  EXPECT_EQ(j["latency_ms"]["ttft"]["count"], 12);
  EXPECT_EQ(j["latency_ms"]["tpot"]["count"], 12);
  EXPECT_EQ(j["latency_ms"]["e2e"]["count"], 12);
  // itl counts tokens after each request's first token chunk: at most 7 per request.
  EXPECT_LE(j["latency_ms"]["itl"]["count"].get<int>(), 12 * 7);
  EXPECT_LE(j["latency_ms"]["ttft"]["max"].get<double>(),
            j["latency_ms"]["e2e"]["max"].get<double>());
  // The reference engine has no HTTP phases and no reasoning: its first token is visible.
  EXPECT_FALSE(j["latency_ms"].contains("connect") || j["latency_ms"].contains("first_byte"));
  EXPECT_EQ(j["latency_ms"]["ttfvt"], j["latency_ms"]["ttft"]);
  EXPECT_TRUE(j["tokens"]["reasoning"].is_null());

  // The stored run.
  auto store = results::ResultsStore::OpenForReading(db);
  const auto runs = store.ListRuns();
  ASSERT_EQ(runs.size(), 1u);
  const results::RunRow& run = runs[0];
  EXPECT_EQ(run.id.value, j["run_id"].get<std::int64_t>());
  EXPECT_EQ(run.status, results::RunStatus::kCompleted);
  ASSERT_TRUE(run.validity.has_value());
  EXPECT_EQ(*run.validity, results::Validity::kValid);
  EXPECT_TRUE(run.validity_reasons.empty());
  EXPECT_TRUE(run.finished_unix_ns.has_value());
  EXPECT_EQ(run.request_count, 12);
  EXPECT_EQ(run.info.engine, "reference");
  EXPECT_EQ(run.info.model, "tiny");
  EXPECT_EQ(run.info.workload_name, "synthetic");
  EXPECT_EQ(run.info.workload_hash, j["workload"]["hash"]);
  EXPECT_FALSE(run.info.group_id.has_value());
  const auto config = nlohmann::json::parse(run.info.config_json);
  EXPECT_EQ(config["load"]["mode"], "open_loop");
  EXPECT_EQ(config["load"]["max_requests"], 12);
  EXPECT_EQ(config["load"]["ignore_eos"], true);
  EXPECT_EQ(config["arrivals"]["kind"], "poisson");
  EXPECT_EQ(config["arrivals"]["rate_per_s"], 20.0);
  EXPECT_EQ(config["engine"]["model"], "tiny");
  EXPECT_EQ(config["validity"]["max_schedule_lag_p99_ms"], 1000.0);

  const auto requests = store.LoadRequests(run.id);
  ASSERT_EQ(requests.size(), 12u);
  for (const auto& request : requests) {
    EXPECT_EQ(request.status, results::RequestStatus::kOk) << request.request_id;
    EXPECT_EQ(request.input_tokens, 64);
    EXPECT_EQ(request.output_tokens, 8);
    EXPECT_EQ(request.requested_output_tokens, 8);
    EXPECT_TRUE(request.sent_ns && request.first_token_ns && request.done_ns);
    std::int64_t chunk_tokens = 0;
    for (const auto& chunk : request.chunks) chunk_tokens += chunk.tokens;
    EXPECT_EQ(chunk_tokens, 8) << request.request_id;
  }

  // run_metrics hold the very figures the JSON printed.
  const auto metrics = MetricsByName(store, run.id);
  const auto expect_metric = [&](const std::string& name, const nlohmann::json& printed) {
    const auto it = metrics.find(name);
    ASSERT_NE(it, metrics.end()) << "no run_metrics row " << name;
    ExpectSameFigure(it->second, printed.get<double>(), name);
  };
  const auto& latency = j["latency_ms"];
  expect_metric("ttft_p50_ms", latency["ttft"]["p50"]);
  expect_metric("ttft_p99_ms", latency["ttft"]["p99"]);
  expect_metric("ttft_mean_ms", latency["ttft"]["mean"]);
  expect_metric("tpot_p90_ms", latency["tpot"]["p90"]);
  expect_metric("itl_p95_ms", latency["itl"]["p95"]);
  expect_metric("e2e_p99_9_ms", latency["e2e"]["p99_9"]);
  expect_metric("e2e_max_ms", latency["e2e"]["max"]);
  expect_metric("output_tokens_per_s", j["throughput"]["output_tokens_per_s"]);
  expect_metric("input_tokens_per_s", j["throughput"]["input_tokens_per_s"]);
  expect_metric("request_throughput_per_s", j["throughput"]["requests_per_s"]);
  expect_metric("duration_s", j["duration_s"]);
  expect_metric("requests_completed", j["requests"]["completed"]);
  expect_metric("requests_failed", j["requests"]["failed"]);
  expect_metric("output_tokens", j["tokens"]["output"]);
  EXPECT_FALSE(store.LoadSamples(run.id).empty());

  // Other readers see the same run.
  const auto listed = RunProcess(Bin() + " runs --json" + DbOption(db));
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto listed_json = nlohmann::json::parse(listed.out);
  ASSERT_EQ(listed_json.size(), 1u);
  EXPECT_EQ(listed_json[0]["requests"], 12);
  EXPECT_EQ(listed_json[0]["status"], "completed");
}

// --- 2. A rate sweep: one group, one run per point. -------------------------------------------

TEST(RunCli, RateSweepStoresOneGroupWithARunPerPoint) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const auto result = RunProcess(Bin() + kSynthetic + kLenientLag +
                                 " --requests 8 --sweep rate=5,10 --json" + DbOption(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  ASSERT_TRUE(j.contains("group")) << j.dump(2);
  EXPECT_EQ(j["group"]["kind"], "sweep");
  EXPECT_EQ(j["group"]["sweep"], "rate=5,10");
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_EQ(j["runs"][0]["scenario"], "synthetic rate=5");
  EXPECT_EQ(j["runs"][1]["scenario"], "synthetic rate=10");
  ASSERT_EQ(j["group"]["run_ids"].size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(j["group"]["run_ids"][i], j["runs"][i]["run_id"]);
    EXPECT_EQ(j["runs"][i]["status"], "completed");
    EXPECT_EQ(j["runs"][i]["requests"]["completed"], 8);
  }

  auto store = results::ResultsStore::OpenForReading(db);
  const auto groups = store.ListGroups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].kind, results::RunGroupKind::kSweep);
  EXPECT_EQ(groups[0].id, j["group"]["id"].get<std::int64_t>());
  EXPECT_EQ(nlohmann::json::parse(groups[0].config_json)["sweep"], "rate=5,10");
  EXPECT_EQ(nlohmann::json::parse(groups[0].result_json), j["group"]);

  const auto runs = store.ListRuns();
  ASSERT_EQ(runs.size(), 2u);
  std::map<std::string, const results::RunRow*> by_point;
  for (const auto& run : runs) {
    EXPECT_EQ(run.info.group_id, groups[0].id);
    EXPECT_EQ(run.status, results::RunStatus::kCompleted);
    EXPECT_EQ(run.request_count, 8);
    by_point[run.info.group_point] = &run;
  }
  ASSERT_TRUE(by_point.count("rate=5") && by_point.count("rate=10"))
      << runs[0].info.group_point << ", " << runs[1].info.group_point;
  EXPECT_EQ(by_point["rate=5"]->id.value, j["runs"][0]["run_id"].get<std::int64_t>());
  EXPECT_EQ(by_point["rate=10"]->id.value, j["runs"][1]["run_id"].get<std::int64_t>());
  EXPECT_EQ(nlohmann::json::parse(by_point["rate=5"]->info.config_json)["arrivals"]["rate_per_s"],
            5.0);
  EXPECT_EQ(nlohmann::json::parse(by_point["rate=10"]->info.config_json)["arrivals"]["rate_per_s"],
            10.0);
}

// --- 2b. Repeats: one group, the same workload N times, each figure's spread over the runs. ----

TEST(RunCli, RepeatStoresOneGroupWithTheSpreadOverItsRuns) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const auto result = RunProcess(Bin() + kSynthetic + kLenientLag +
                                 " --requests 4 --rate 20 --repeat 3 --json" + DbOption(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  ASSERT_TRUE(j.contains("group")) << j.dump(2);
  const nlohmann::json& group = j["group"];
  EXPECT_EQ(group["kind"], "repeat");
  EXPECT_EQ(group["repeat"], 3);
  EXPECT_EQ(group["scenario"], "synthetic");
  EXPECT_FALSE(group.contains("interrupted"));
  ASSERT_EQ(j["runs"].size(), 3u);
  ASSERT_EQ(group["run_ids"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(group["run_ids"][i], j["runs"][i]["run_id"]);
    EXPECT_EQ(j["runs"][i]["scenario"], "synthetic #" + std::to_string(i + 1));
    EXPECT_EQ(j["runs"][i]["status"], "completed");
  }

  // Every stored figure has its spread; throughput is never 0, so it has a CV.
  const nlohmann::json& out = group["figures"]["output_tokens_per_s"];
  ASSERT_TRUE(out.is_object()) << group["figures"].dump(2);
  EXPECT_EQ(out["unit"], "tokens/s");
  EXPECT_EQ(out["runs"], 3);
  ASSERT_TRUE(out["cv"].is_number()) << out.dump();
  EXPECT_GE(out["cv"].get<double>(), 0);
  EXPECT_TRUE(group["figures"]["ttft_p99_ms"].is_object());

  auto store = results::ResultsStore::OpenForReading(db);
  const auto groups = store.ListGroups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].kind, results::RunGroupKind::kRepeat);
  EXPECT_EQ(groups[0].id, group["id"].get<std::int64_t>());
  EXPECT_EQ(groups[0].name, "repeat x3: synthetic");
  const auto config = nlohmann::json::parse(groups[0].config_json);
  EXPECT_EQ(config["repeat"], 3);
  EXPECT_EQ(config["scenario"], "synthetic");
  EXPECT_EQ(nlohmann::json::parse(groups[0].result_json), group);

  const auto runs = store.ListRuns();
  ASSERT_EQ(runs.size(), 3u);
  std::vector<double> throughputs;
  for (int i = 0; i < 3; ++i) {
    const results::RunRow& run = runs[i];
    EXPECT_EQ(run.id.value, group["run_ids"][i].get<std::int64_t>());
    EXPECT_EQ(run.info.group_id, groups[0].id);
    EXPECT_EQ(run.info.group_point, "repeat=" + std::to_string(i + 1));
    EXPECT_EQ(run.info.name, "synthetic #" + std::to_string(i + 1));
    EXPECT_EQ(run.status, results::RunStatus::kCompleted);
    EXPECT_EQ(run.request_count, 4);
    // The same seed every time: the same requests at the same offsets.
    EXPECT_EQ(run.info.workload_hash, runs[0].info.workload_hash);
    const auto run_config = nlohmann::json::parse(run.info.config_json);
    EXPECT_EQ(run_config["group"]["kind"], "repeat");
    EXPECT_EQ(run_config["group"]["point"], run.info.group_point);
    throughputs.push_back(MetricsByName(store, run.id).at("output_tokens_per_s"));
  }
  // The spread is over the stored figures.
  const double mean = (throughputs[0] + throughputs[1] + throughputs[2]) / 3;
  double squares = 0;
  for (const double v : throughputs) squares += (v - mean) * (v - mean);
  const double stddev = std::sqrt(squares / 2);
  ExpectSameFigure(mean, out["mean"].get<double>(), "mean");
  ExpectSameFigure(stddev, out["stddev"].get<double>(), "stddev");
  ExpectSameFigure(stddev / mean, out["cv"].get<double>(), "cv");
  ExpectSameFigure(*std::min_element(throughputs.begin(), throughputs.end()),
                   out["min"].get<double>(), "min");
  ExpectSameFigure(*std::max_element(throughputs.begin(), throughputs.end()),
                   out["max"].get<double>(), "max");
}

TEST(RunCli, RepeatPrintsASpreadTable) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const auto result = RunProcess(Bin() + kSynthetic + kLenientLag +
                                 " --requests 2 --rate 20 --repeat 2" + DbOption(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* text : {"== synthetic #1 ", "== synthetic #2 ", "spread over 2 of 2 runs",
                           "FIGURE", "stddev", "CV", "output tokens/s", "TTFT p99 (ms)"}) {
    EXPECT_NE(result.out.find(text), std::string::npos) << text << "\n" << result.out;
  }
}

// --- 3. The max-goodput search. ----------------------------------------------------------------

// Checks what a search stored against what it printed; returns the group's result JSON.
nlohmann::json CheckStoredSearch(const std::string& db, const nlohmann::json& printed,
                                 const std::string& slo) {
  auto store = results::ResultsStore::OpenForReading(db);
  const auto groups = store.ListGroups();
  EXPECT_EQ(groups.size(), 1u);
  if (groups.size() != 1) return {};
  EXPECT_EQ(groups[0].kind, results::RunGroupKind::kGoodputSearch);
  const auto config = nlohmann::json::parse(groups[0].config_json);
  EXPECT_EQ(config["slo"], slo);
  EXPECT_EQ(config["max_rate_per_s"], 8.0);
  const auto result = nlohmann::json::parse(groups[0].result_json);
  EXPECT_EQ(result, printed["group"]);
  EXPECT_EQ(result["kind"], "goodput_search");
  EXPECT_TRUE(result["conclusion"].is_string());
  EXPECT_FALSE(result["conclusion"].get<std::string>().empty());
  EXPECT_TRUE(result["points"].is_array());
  EXPECT_FALSE(result["points"].empty());
  EXPECT_LE(result["points"].size(), 3u);

  const auto runs = store.ListRuns();
  EXPECT_EQ(runs.size(), result["points"].size());
  EXPECT_EQ(printed["runs"].size(), result["points"].size());
  std::optional<double> best_passing;
  for (const auto& point : result["points"]) {
    const double rate = point["rate_per_s"].get<double>();
    EXPECT_GT(rate, 0);
    EXPECT_LE(rate, 8.0);
    // passed = valid and good fraction >= the default target 0.9 (docs/RESULTS.md).
    EXPECT_EQ(point["passed"].get<bool>(),
              point["valid"].get<bool>() && point["good_fraction"].get<double>() >= 0.9)
        << point.dump();
    if (point["passed"].get<bool>()) best_passing = std::max(best_passing.value_or(0), rate);
    const auto run = store.GetRun(RunId(point["run_id"].get<std::int64_t>()));
    EXPECT_TRUE(run.has_value()) << point.dump();
    if (!run) continue;
    EXPECT_EQ(run->info.group_id, groups[0].id);
    EXPECT_EQ(run->info.group_point.rfind("rate=", 0), 0u) << run->info.group_point;
    EXPECT_EQ(run->request_count, 6);
    EXPECT_EQ(run->validity == results::Validity::kValid, point["valid"].get<bool>());
  }
  if (best_passing) {
    EXPECT_EQ(result["max_rate_per_s"], *best_passing);
  } else {
    EXPECT_TRUE(result["max_rate_per_s"].is_null());
  }
  return result;
}

TEST(RunCli, GoodputSearchStoresPointsAndConclusion) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const std::string slo = "ttft=5000,tpot=1000";
  const auto result =
      RunProcess(Bin() + kSynthetic + kLenientLag + " --goodput-search --slo " + slo +
                 " --search-points 3 --search-start-rate 4 --search-max-rate 8 "
                 "--requests 6 --json" +
                 DbOption(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  ASSERT_TRUE(j.contains("group")) << j.dump(2);
  for (const auto& run : j["runs"]) {
    ASSERT_TRUE(run.contains("goodput")) << "a run with --slo reports goodput";
    EXPECT_GE(run["goodput"]["good_fraction"].get<double>(), 0);
    EXPECT_LE(run["goodput"]["good_fraction"].get<double>(), 1);
  }
  CheckStoredSearch(db, j, slo);
}

TEST(RunCli, GoodputSearchWithAnUnreachableSloFindsNoRate) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  // No request gets its first token within a microsecond: every point fails.
  const auto result = RunProcess(Bin() + kSynthetic + kLenientLag +
                                 " --goodput-search --slo ttft=0.001 --search-points 2 "
                                 "--search-start-rate 8 --search-max-rate 8 --requests 6 --json" +
                                 DbOption(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  const auto stored = CheckStoredSearch(db, j, "ttft=0.001");
  EXPECT_TRUE(stored["max_rate_per_s"].is_null()) << stored.dump(2);
  for (const auto& point : stored["points"]) {
    EXPECT_FALSE(point["passed"].get<bool>());
    EXPECT_EQ(point["good_fraction"], 0.0);
  }
}

// --- 4. Closed loop and warm-up. ---------------------------------------------------------------

TEST(RunCli, ClosedLoopAtConcurrencyTwoCompletes) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const auto result = RunProcess(Bin() + kSynthetic + kLenientLag +
                                 " --concurrency 2 --requests 8 --json" + DbOption(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["requests"]["completed"], 8);
  EXPECT_EQ(j["tokens"]["output"], 8 * 8);
  EXPECT_LE(j["in_flight"]["max"].get<double>(), 2.0);

  auto store = results::ResultsStore::OpenForReading(db);
  const auto runs = store.ListRuns();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].request_count, 8);
  const auto config = nlohmann::json::parse(runs[0].info.config_json);
  EXPECT_EQ(config["load"]["mode"], "closed_loop");
  EXPECT_EQ(config["load"]["max_concurrency"], 2);
  // Never more than two requests between send and done.
  const auto requests = store.LoadRequests(runs[0].id);
  for (const auto& a : requests) {
    ASSERT_TRUE(a.sent_ns && a.done_ns);
    int overlapping = 0;
    for (const auto& b : requests) {
      if (*b.sent_ns <= *a.sent_ns && *a.sent_ns < *b.done_ns) ++overlapping;
    }
    EXPECT_LE(overlapping, 2) << "request " << a.request_id;
  }
}

TEST(RunCli, WarmupRequestsAreSentButNotStored) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const auto result = RunProcess(Bin() + kSynthetic + kLenientLag +
                                 " --warmup 2 --requests 6 --rate 20 --json" + DbOption(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  EXPECT_EQ(j["requests"]["warmup"], 2);
  EXPECT_EQ(j["requests"]["total"], 6);
  EXPECT_EQ(j["requests"]["completed"], 6);

  auto store = results::ResultsStore::OpenForReading(db);
  const auto runs = store.ListRuns();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].request_count, 6);
  EXPECT_EQ(store.LoadRequests(runs[0].id).size(), 6u);
  EXPECT_EQ(MetricsByName(store, runs[0].id)["warmup_requests"], 2.0);
}

// --- 5. Replay of a real public trace. ----------------------------------------------------------

std::string SharedTrace(const std::string& name) {
  const char* dir = std::getenv("INFERMETER_SHARED_DIR");
  return (std::filesystem::path(dir ? dir : "../shared") / "traces" / name).string();
}

// The first rows of AzureLLMInferenceTrace_conv_2023.csv (Azure/AzurePublicDataset, CC-BY-4.0):
//   2023-11-16 18:15:46.6805900,374,44
//   2023-11-16 18:15:50.9951690,396,109
//   2023-11-16 18:15:51.2224670,879,55
//   2023-11-16 18:15:51.3910170,91,16
//   2023-11-16 18:15:52.5732450,91,16
// Offsets from the first: 0, 4.3145790, 4.5418770, 4.7104270, 5.8926550 s; at --time-scale 0.2
// they are sent at 0, 0.8629158, 0.9083754, 0.9420854 and 1.1785310 s. Short prompts, so this
// stays quick on the tiny model (Mooncake's first requests are 7K-token prompts with 500-token
// answers: tens of seconds here).
TEST(RunCli, ReplaysTheAzureConversationTraceAtItsOwnTimes) {
  const std::string trace = SharedTrace("AzureLLMInferenceTrace_conv_2023.csv");
  if (!std::filesystem::exists(trace)) GTEST_SKIP() << "no " << trace;
  TempDir dir;
  const std::string db = dir.File("results.db");
  const auto result =
      RunProcess(Bin() + kTiny + kLenientLag + " --workload " + ShellQuote(trace) +
                 " --replay --window-start 0 --window-end 8 --time-scale 0.2 --requests 5 --json" +
                 DbOption(db));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  EXPECT_EQ(j["scenario"], "AzureLLMInferenceTrace_conv_2023.csv");
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["requests"]["completed"], 5);
  EXPECT_EQ(j["tokens"]["input"], 374 + 396 + 879 + 91 + 91);
  EXPECT_EQ(j["tokens"]["output"], 44 + 109 + 55 + 16 + 16);

  auto store = results::ResultsStore::OpenForReading(db);
  const auto runs = store.ListRuns();
  ASSERT_EQ(runs.size(), 1u);
  const auto config = nlohmann::json::parse(runs[0].info.config_json);
  EXPECT_EQ(config["arrivals"]["kind"], "trace");
  EXPECT_EQ(config["arrivals"]["time_scale"], 0.2);
  auto requests = store.LoadRequests(runs[0].id);
  ASSERT_EQ(requests.size(), 5u);
  std::sort(requests.begin(), requests.end(),
            [](const auto& a, const auto& b) { return a.scheduled_ns < b.scheduled_ns; });
  const std::int64_t inputs[] = {374, 396, 879, 91, 91};
  const std::int64_t outputs[] = {44, 109, 55, 16, 16};
  const double offsets_s[] = {0, 0.8629158, 0.9083754, 0.9420854, 1.1785310};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(requests[i].input_tokens, inputs[i]) << i;
    EXPECT_EQ(requests[i].output_tokens, outputs[i]) << i;
    EXPECT_EQ(requests[i].requested_output_tokens, outputs[i]) << i;
    EXPECT_NEAR(static_cast<double>(requests[i].scheduled_ns - requests[0].scheduled_ns) / 1e9,
                offsets_s[i], 1e-6)
        << i;
  }
}

// --- 6. Bad input: a clear error naming the option, and nothing stored. -----------------------

struct BadInput {
  std::string options;
  int exit_code;
  std::vector<std::string> mentions;  // each must appear in stderr
};

// Makes a database with one finished run of 2 requests.
void MakeDatabaseWithARun(const std::string& db) {
  const auto made =
      RunProcess(Bin() + kSynthetic + " --requests 2 --rate 50 --json" + DbOption(db));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto store = results::ResultsStore::OpenForReading(db);
  ASSERT_EQ(store.ListRuns().size(), 1u);
}

// Runs every case against `db` and checks that the database still holds just its one run.
void ExpectRejectedAndNothingStored(const std::string& db, const std::vector<BadInput>& cases) {
  for (const auto& c : cases) {
    const auto result =
        RunProcess(Bin() + kTiny + " --requests 3 " + c.options + " --json" + DbOption(db));
    EXPECT_EQ(result.exit_code, c.exit_code) << c.options << "\nstderr: " << result.err;
    EXPECT_TRUE(result.out.empty()) << c.options << "\nstdout: " << result.out;
    for (const auto& word : c.mentions) {
      EXPECT_NE(result.err.find(word), std::string::npos)
          << c.options << ": stderr does not mention '" << word << "':\n"
          << result.err;
    }
    auto store = results::ResultsStore::OpenForReading(db);
    const auto runs = store.ListRuns();
    EXPECT_EQ(runs.size(), 1u) << c.options << " stored a run";
    EXPECT_TRUE(store.ListGroups().empty()) << c.options << " stored a group";
    if (!runs.empty()) {
      EXPECT_EQ(runs[0].request_count, 2) << c.options;
    }
  }
  const auto check = RunProcess(Bin() + " db check" + DbOption(db));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(RunCli, BadInputIsNamedAndStoresNothing) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  MakeDatabaseWithARun(db);
  const std::string synthetic = "--workload synthetic --input-tokens 64 --output-tokens 8 ";
  ExpectRejectedAndNothingStored(
      db, {
              {synthetic + "--sweep speed=1", 1, {"--sweep", "speed"}},
              {synthetic + "--sweep rate=0", 1, {"--sweep"}},
              {synthetic + "--slo ttft=abc", 1, {"--slo", "abc"}},
              {"--rate 5 --workload /nonexistent/file", 1, {"--workload", "/nonexistent/file"}},
              {synthetic + "--engine foo", 1, {"--engine", "foo"}},
              {synthetic + "--goodput-search", 1, {"--goodput-search", "--slo"}},
              {synthetic + "--goodput-search --slo ttft=5 --sweep rate=1", 1, {"--sweep"}},
              {"--workload synthetic --input-tokens fixed:-3", 1, {"--input-tokens", "fixed:-3"}},
              {synthetic + "--rate 0", 2, {"--rate"}},
              {synthetic + "--rate 5 --arrival weird", 1, {"--arrival", "weird"}},
              {synthetic + "--rate 5 --label nokey", 1, {"--label", "nokey"}},
              {synthetic + "--replay", 1, {"--replay"}},
              {"--sweep rate=1,2", 1, {"--sweep", "--workload"}},
              {synthetic + "--repeat 3 --sweep rate=1,2", 1, {"--repeat", "--sweep"}},
              {synthetic + "--repeat 2 --goodput-search --slo ttft=5",
               1,
               {"--repeat", "--goodput-search"}},
              // CLI11's own parse errors: exit 2.
              {synthetic + "--concurrency abc", 2, {"--concurrency", "abc"}},
              {synthetic + "--repeat 0", 2, {"--repeat"}},
              {synthetic + "--rate 5 --no-such-option", 2, {"--no-such-option"}},
              // Collector options.
              {synthetic + "--peak nosuchgpu", 1, {"--peak", "nosuchgpu", "h100-sxm"}},
              {synthetic + "--peak h100-sxm --peak-precision fp4", 1, {"--peak", "fp4"}},
              {synthetic + "--peak-precision fp16", 1, {"--peak-precision", "fp16"}},
              {synthetic + "--cost-model no-such-model", 1, {"no-such-model"}},
              {synthetic + "--devices 0", 2, {"--devices"}},
              // A cost model the engine's cache format does not apply to.
              {synthetic + "--cost-model deepseek-v3 --kv-format v4-fp8",
               1,
               {"kv_format", "deepseek-v3"}},
          });
}

// FLOPs, MFU/MBU, KV cache and the hardware description: the JSON against the stored run, MFU
// unknown (and the summary saying why) until the host is probed, then stated against the probe;
// a catalog peak on request. Energy stays null here: this machine has no power readings.
TEST(RunCli, ComputeMemoryAndHardwareFiguresAreStoredWithTheirSources) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const std::string run = Bin() + kSynthetic + kLenientLag + " --requests 6 --rate 20 --json";

  const auto before = RunProcess(run + DbOption(db));
  ASSERT_EQ(before.exit_code, 0) << before.err;
  const auto j = nlohmann::json::parse(before.out);
  EXPECT_GT(j["flops_total"].get<double>(), 0);
  EXPECT_NEAR(j["flops_per_output_token"].get<double>(), j["flops_total"].get<double>() / (6 * 8),
              1e-6 * j["flops_total"].get<double>());
  EXPECT_GT(j["achieved_flops_per_s"].get<double>(), 0);
  EXPECT_TRUE(j["mfu"].is_null());  // no probe in this database yet
  EXPECT_TRUE(j["mbu"].is_null());
  EXPECT_NE(j["peak_source"].get<std::string>().find("infermeter probe"), std::string::npos);
  EXPECT_EQ(j["flops_source"], "engine counters");
  EXPECT_GT(j["kv_bytes_peak"].get<double>(), 0);
  EXPECT_GT(j["kv_bytes_capacity"].get<double>(), 0);
  EXPECT_TRUE(j["energy_j_per_output_token"].is_null());
  EXPECT_EQ(j["collectors"]["nvml"]["status"], "not running");
  EXPECT_EQ(j["collectors"]["system"]["status"], "ran");

  auto store = results::ResultsStore::OpenForReading(db);
  const RunId first(j["run_id"].get<std::int64_t>());
  const auto metrics = MetricsByName(store, first);
  EXPECT_EQ(metrics.at("flops_total"), j["flops_total"].get<double>());
  EXPECT_EQ(metrics.at("kv_bytes_peak"), j["kv_bytes_peak"].get<double>());
  EXPECT_NEAR(metrics.at("flops_counted_to_analytic"), 1.0, 0.01);
  EXPECT_GT(metrics.at("process_cpu_s"), 0);
  const auto hardware = nlohmann::json::parse(store.GetRun(first)->info.hardware_json);
  EXPECT_FALSE(hardware["cpu_model"].get<std::string>().empty());
  EXPECT_GT(hardware["logical_cores"].get<int>(), 0);
  EXPECT_GT(hardware["memory_total_bytes"].get<double>(), 0);
  EXPECT_TRUE(hardware["gpus"].empty());
  EXPECT_NE(hardware["unavailable"]["gpus"].get<std::string>().find("libnvidia-ml"),
            std::string::npos);

  // A host peak, recorded as `infermeter probe` records one, gives MFU and MBU against it.
  {
    auto writer = results::ResultsStore::OpenForWriting(db);
    const std::string host = hardware["host"];
    for (const auto& [metric, dtype, value] :
         {std::tuple{"gemm_flops_per_s", "bf16", 4e11},
          std::tuple{"memory_bandwidth_bytes_per_s", "", 3e10}}) {
      writer.RecordHardwarePeak({.measured_unix_ns = 1,
                                 .host = host,
                                 .metric = metric,
                                 .dtype = dtype,
                                 .value = value,
                                 .method = "test peak"});
    }
  }
  const auto probed = RunProcess(run + DbOption(db));
  ASSERT_EQ(probed.exit_code, 0) << probed.err;
  const auto p = nlohmann::json::parse(probed.out);
  EXPECT_NEAR(p["mfu"].get<double>(), p["achieved_flops_per_s"].get<double>() / 4e11, 1e-12);
  EXPECT_GT(p["mbu"].get<double>(), 0);
  EXPECT_NE(p["peak_source"].get<std::string>().find("test peak"), std::string::npos);

  // A catalog device times a device count.
  const auto catalog = RunProcess(run + " --peak h100-sxm --devices 8" + DbOption(db));
  ASSERT_EQ(catalog.exit_code, 0) << catalog.err;
  const auto c = nlohmann::json::parse(catalog.out);
  EXPECT_NE(c["peak_source"].get<std::string>().find("catalog: 8 x h100-sxm"), std::string::npos);
  EXPECT_LT(c["mfu"].get<double>(), 1e-3);  // a CPU run against eight H100s

  // The table says the same in words.
  const auto table = RunProcess(Bin() + kSynthetic + kLenientLag + " --requests 3" + DbOption(db));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("compute "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("MFU "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("kv cache  peak"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("note: collector 'nvml' is not running"), std::string::npos)
      << table.out;
}

// Load settings out of range are rejected before the engine loads and before a run is registered.
TEST(RunCli, BadLoadSettingsStoreNothing) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  MakeDatabaseWithARun(db);
  ExpectRejectedAndNothingStored(
      db, {
              {"--workload synthetic --concurrency 0", 2, {"--concurrency"}},
              {"--workload synthetic --rate 5 --warmup -1", 2, {"--warmup"}},
              {"--workload synthetic --rate 5 --duration -1", 2, {"--duration"}},
              {"--workload synthetic --output-tokens 0", 1, {"--output-tokens"}},
              {"--workload synthetic --rate 5 --threads -1", 2, {"--threads"}},
          });
}

// A replay window that keeps no request is a mistake in the options, not a run of nothing.
TEST(RunCli, EmptyReplayWindowIsAnError) {
  const std::string trace = SharedTrace("AzureLLMInferenceTrace_conv_2023.csv");
  if (!std::filesystem::exists(trace)) GTEST_SKIP() << "no " << trace;
  TempDir dir;
  const std::string db = dir.File("results.db");
  MakeDatabaseWithARun(db);
  const auto result = RunProcess(Bin() + kTiny + " --workload " + ShellQuote(trace) +
                                 " --replay --window-start 5 --window-end 1 --json" + DbOption(db));
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("--window"), std::string::npos) << result.err;
  // A window past the end of the trace keeps nothing either.
  const auto late = RunProcess(Bin() + kTiny + " --workload " + ShellQuote(trace) +
                               " --replay --window-start 99999 --json" + DbOption(db));
  EXPECT_EQ(late.exit_code, 1) << late.err;
  EXPECT_NE(late.err.find("keeps none"), std::string::npos) << late.err;
  auto store = results::ResultsStore::OpenForReading(db);
  EXPECT_EQ(store.ListRuns().size(), 1u);
}

// --- 7. Ctrl-C. --------------------------------------------------------------------------------

std::vector<std::string> InterruptibleRun(const std::string& db) {
  // 200 requests at 5/s: 40 s of work, interrupted after about 3 s.
  return {INFERMETER_BIN,    "run",       "--model",       "tiny",   "--threads", "1",
          "--workload",      "synthetic", "--requests",    "200",    "--rate",    "5",
          "--output-tokens", "64",        "--no-progress", "--json", "--db",      db};
}

// Waits until the child has stored requests (so its interrupt handler is installed) and has run
// for about 3 s. False when it stored nothing within 60 s.
bool WaitUntilInterruptible(Child& child, const std::string& db) {
  if (!WaitForStoredRequests(child, db, 60)) return false;
  const double left = 3.0 - child.seconds_since_start();
  if (left > 0) std::this_thread::sleep_for(std::chrono::duration<double>(left));
  return true;
}

TEST(RunCli, CtrlCStopsTheRunAndSavesItInterrupted) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const std::string out = dir.File("stdout.txt");
  const std::string err = dir.File("stderr.txt");
  Child child(InterruptibleRun(db), out, err);
  ASSERT_TRUE(child.started());
  ASSERT_TRUE(WaitUntilInterruptible(child, db)) << ReadFile(err);

  child.Signal(SIGINT);
  const auto signalled = Clock::now();
  const auto code = child.Wait(30);
  ASSERT_TRUE(code.has_value()) << "still running 30 s after SIGINT";
  EXPECT_EQ(*code, 130) << ReadFile(err);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - signalled).count(), 15.0);
  EXPECT_NE(ReadFile(err).find("stopping"), std::string::npos) << ReadFile(err);

  // The runs made so far are printed, the interrupted one with its status.
  const auto j = nlohmann::json::parse(ReadFile(out));
  EXPECT_EQ(j["status"], "interrupted");
  EXPECT_EQ(j["validity"], "invalid");
  EXPECT_EQ(j["stop_reason"], "interrupted");
  const auto total = j["requests"]["total"].get<std::int64_t>();
  EXPECT_GT(total, 0);
  EXPECT_LT(total, 200);

  {
    auto store = results::ResultsStore::OpenForReading(db);
    const auto runs = store.ListRuns();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].id.value, j["run_id"].get<std::int64_t>());
    EXPECT_EQ(runs[0].status, results::RunStatus::kInterrupted);
    ASSERT_TRUE(runs[0].validity.has_value());
    EXPECT_EQ(*runs[0].validity, results::Validity::kInvalid);
    bool says_interrupted = false;
    for (const auto& reason : runs[0].validity_reasons) {
      says_interrupted |= reason.find("interrupted") != std::string::npos;
    }
    EXPECT_TRUE(says_interrupted) << nlohmann::json(runs[0].validity_reasons).dump();
    EXPECT_TRUE(runs[0].finished_unix_ns.has_value());
    EXPECT_EQ(runs[0].request_count, total);
    for (const auto& request : store.LoadRequests(runs[0].id)) {
      EXPECT_NE(request.status, results::RequestStatus::kError) << request.error_message;
    }
  }

  const auto check = RunProcess(Bin() + " db check --json" + DbOption(db));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  const auto check_json = nlohmann::json::parse(check.out);
  EXPECT_EQ(check_json["integrity"], "ok");
  EXPECT_EQ(check_json["ok"], true);
}

TEST(RunCli, SecondCtrlCExitsAtOnceAndLeavesAHealthyFile) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const std::string out = dir.File("stdout.txt");
  const std::string err = dir.File("stderr.txt");
  Child child(InterruptibleRun(db), out, err);
  ASSERT_TRUE(child.started());
  ASSERT_TRUE(WaitUntilInterruptible(child, db)) << ReadFile(err);

  child.Signal(SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto signalled = Clock::now();
  child.Signal(SIGINT);
  const auto code = child.Wait(10);
  ASSERT_TRUE(code.has_value()) << "still running 10 s after the second SIGINT";
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - signalled).count(), 2.0);
  EXPECT_EQ(*code, 130) << ReadFile(err);

  const auto check = RunProcess(Bin() + " db check --json" + DbOption(db));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  const auto check_json = nlohmann::json::parse(check.out);
  EXPECT_EQ(check_json["integrity"], "ok");
  EXPECT_EQ(check_json["counts"]["runs"], 1);
  // The file stays readable by the results library. Exiting at once skips FinishRun, so the run
  // may be left `running` (or `interrupted` if the first stop won the race); never `completed`.
  auto store = results::ResultsStore::OpenForReading(db);
  const auto runs = store.ListRuns();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_NE(runs[0].status, results::RunStatus::kCompleted);
  // A run left `running` by a process that is gone is listed as abandoned.
  const auto listed = RunProcess(Bin() + " runs --json" + DbOption(db));
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto listed_json = nlohmann::json::parse(listed.out);
  EXPECT_EQ(listed_json[0]["abandoned"], runs[0].status == results::RunStatus::kRunning);
}

// --- 8. Help. ----------------------------------------------------------------------------------

TEST(RunCli, HelpListsTheLoadOptions) {
  const auto help = RunProcess(Bin() + " run --help");
  ASSERT_EQ(help.exit_code, 0) << help.err;
  for (const char* option :
       {"--rate", "--concurrency", "--sweep", "--repeat", "--goodput-search", "--slo", "--replay",
        "--requests", "--warmup", "--workload", "--json", "--db"}) {
    EXPECT_NE(help.out.find(option), std::string::npos) << option << "\n" << help.out;
  }
}

}  // namespace
}  // namespace infermeter
