// `infermeter run --engine openai` against `infermeter serve`, both real processes over loopback
// HTTP: 256 concurrent streams, token counts that agree three ways (the client's summary, the
// stored rows, the server's own /metrics as the server_metrics collector scraped them), chat
// sessions with histories, and the failures a user meets first (nothing listening, a model the
// server does not serve, a vocabulary the client cannot guess).

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "background_process.h"
#include "infermeter/results/store.h"
#include "process.h"
#include "temp_db.h"

namespace infermeter {
namespace {

using testing::BackgroundProcess;
using testing::RunProcess;
using testing::ShellQuote;
using testing::TempDir;

std::string Bin() { return ShellQuote(INFERMETER_BIN); }

// `infermeter serve --model tiny` on a free port; its first stdout line names the port.
class Server {
 public:
  explicit Server(const TempDir& dir)
      : out_(dir.File("serve.out")),
        process_({"/bin/sh", "-c",
                  "exec " + std::string(INFERMETER_BIN) +
                      " serve --model tiny --port 0 --max-connections 1024 > " + out_}) {
    const std::string line = process_.WaitForFile(out_, 60'000);
    const auto at = line.find("http://");
    if (at != std::string::npos) url_ = line.substr(at, line.find(' ', at) - at);
  }
  const std::string& url() const { return url_; }

 private:
  std::string out_;
  BackgroundProcess process_;
  std::string url_;
};

std::map<std::string, double> RunMetrics(const std::string& db) {
  auto store = results::ResultsStore::OpenForReading(db);
  const auto runs = store.ListRuns();
  std::map<std::string, double> metrics;
  for (const auto& metric : store.LoadRunMetrics(runs.back().id)) {
    metrics[metric.name] = metric.value;
  }
  return metrics;
}

class OpenAiCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new Server(*dir_);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_FALSE(server_->url().empty()) << "infermeter serve did not start";
  }

  static TempDir* dir_;
  static Server* server_;
};

TempDir* OpenAiCli::dir_ = nullptr;
Server* OpenAiCli::server_ = nullptr;

TEST_F(OpenAiCli, TwoHundredFiftySixConcurrentStreamsAgreeWithTheServersCounters) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const auto result = RunProcess(
      Bin() + " run --engine openai --url " + server_->url() +
      " --model tiny --workload synthetic --requests 512 --concurrency 256 --input-tokens 32"
      " --output-tokens 8 --server-metrics-interval-ms 200 --max-schedule-lag-p99-ms 1000"
      " --json --no-progress --db " +
      ShellQuote(db));
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  const auto j = nlohmann::json::parse(result.out);
  EXPECT_EQ(j["requests"]["completed"], 512) << j.dump(2);
  EXPECT_EQ(j["requests"]["failed"], 0);
  EXPECT_EQ(j["tokens"]["input"], 512 * 32);
  EXPECT_EQ(j["tokens"]["output"], 512 * 8);
  EXPECT_EQ(j["tokens"]["usage_mismatches"], 0);
  EXPECT_EQ(j["latency_ms"]["ttft"]["count"], 512);

  // The stored rows say the same, request by request.
  auto store = results::ResultsStore::OpenForReading(db);
  const auto runs = store.ListRuns();
  ASSERT_EQ(runs.size(), 1U);
  EXPECT_EQ(runs.front().info.engine, "openai");
  const auto requests = store.LoadRequests(runs.front().id);
  ASSERT_EQ(requests.size(), 512U);
  std::int64_t streamed = 0;
  for (const auto& request : requests) {
    EXPECT_EQ(request.output_tokens, 8);
    for (const auto& chunk : request.chunks) streamed += chunk.tokens;
  }
  EXPECT_EQ(streamed, 512 * 8);  // every token arrived as its own timed chunk

  // The server's counters, scraped over the run, count exactly the run's tokens, and the
  // server saw all 256 streams at once.
  const auto metrics = RunMetrics(db);
  EXPECT_EQ(metrics.at("server_generation_tokens"), 512 * 8);
  EXPECT_EQ(metrics.at("server_prompt_tokens"), 512 * 32);
  EXPECT_GE(metrics.at("server_running_requests_peak") + metrics.at("server_waiting_requests_peak"),
            128);
}

TEST_F(OpenAiCli, ChatSessionsSendHistoriesAndTheKeyStaysOutOfTheResults) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const auto result = RunProcess(
      "OPENAI_API_KEY=secret-value " + Bin() + " run --engine openai --url " + server_->url() +
      "/v1 --api chat --prompt-text bytes --workload agentic --sessions 3 --concurrency 3"
      " --no-engine-warmup --max-schedule-lag-p99-ms 1000 --json --no-progress --db " +
      ShellQuote(db));
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  const auto j = nlohmann::json::parse(result.out);
  EXPECT_GT(j["requests"]["completed"].get<int>(), 3);
  EXPECT_EQ(j["requests"]["failed"], 0) << j.dump(2);
  auto store = results::ResultsStore::OpenForReading(db);
  const auto run = store.ListRuns().back();
  const auto config = nlohmann::json::parse(run.info.config_json);
  EXPECT_EQ(config["engine"]["api"], "chat");
  EXPECT_EQ(config["engine"]["api_key"], "given (not stored)");
  EXPECT_EQ(result.out.find("secret-value"), std::string::npos);
  EXPECT_EQ(run.info.config_json.find("secret-value"), std::string::npos);
  // Later turns carry the earlier ones, so the server finds their prefix in its cache.
  EXPECT_GT(RunMetrics(db).at("server_prefix_cache_hits"), 0);
}

TEST_F(OpenAiCli, AModelTheServerDoesNotServeFailsEveryRequestWithItsStatus) {
  TempDir dir;
  const auto result = RunProcess(Bin() + " run --engine openai --url " + server_->url() +
                                 " --model nope --vocab-size 200 --workload synthetic"
                                 " --requests 3 --no-engine-warmup --json --no-progress --db " +
                                 ShellQuote(dir.File("r.db")));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  EXPECT_EQ(j["requests"]["failed"], 3);
  EXPECT_EQ(j["validity"], "invalid");
  EXPECT_NE(j.dump().find("http_404"), std::string::npos) << j.dump(2);
}

TEST(OpenAiCliErrors, NothingListeningIsAConnectErrorPerRequestAndAClearNoteForMetrics) {
  TempDir dir;
  const auto result = RunProcess(Bin() +
                                 " run --engine openai --url http://127.0.0.1:1 --model m"
                                 " --vocab-size 100 --connect-timeout-ms 500 --workload synthetic"
                                 " --requests 2 --no-engine-warmup --json --no-progress --db " +
                                 ShellQuote(dir.File("r.db")));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto j = nlohmann::json::parse(result.out);
  EXPECT_EQ(j["requests"]["failed"], 2);
  EXPECT_NE(j.dump().find("connect"), std::string::npos);
  EXPECT_NE(j.dump().find("cannot scrape http://127.0.0.1:1/metrics"), std::string::npos)
      << j.dump(2);
}

TEST(OpenAiCliErrors, AnUnknownModelWithoutVocabularyOrAModelListIsRefusedBeforeSending) {
  TempDir dir;
  auto result = RunProcess(Bin() +
                           " run --engine openai --url http://127.0.0.1:1 --model custom"
                           " --workload synthetic --requests 1 --db " +
                           ShellQuote(dir.File("r.db")));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("--vocab-size"), std::string::npos) << result.err;
  result = RunProcess(Bin() +
                      " run --engine openai --url localhost:8000 --model m --vocab-size 9"
                      " --workload synthetic --requests 1 --db " +
                      ShellQuote(dir.File("r.db")));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("--url"), std::string::npos) << result.err;
  result = RunProcess(Bin() + " run --engine openai --url http://127.0.0.1:1 --api-key-file " +
                      ShellQuote(dir.File("missing")) + " --model m --vocab-size 9 --db " +
                      ShellQuote(dir.File("r.db")));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("--api-key-file"), std::string::npos) << result.err;
}

TEST_F(OpenAiCli, EveryRequestStoresItsHttpPhasesBeforeItsFirstToken) {
  TempDir dir;
  const std::string db = dir.File("results.db");
  const auto result = RunProcess(Bin() + " run --engine openai --url " + server_->url() +
                                 " --model tiny --workload synthetic --requests 16 --concurrency 4"
                                 " --input-tokens 16 --output-tokens 4 --no-engine-warmup"
                                 " --max-schedule-lag-p99-ms 1000 --json --no-progress --db " +
                                 ShellQuote(db));
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  const auto j = nlohmann::json::parse(result.out);
  ASSERT_EQ(j["requests"]["completed"], 16) << j.dump(2);
  EXPECT_EQ(j["latency_ms"]["connect"]["count"], 16);
  EXPECT_EQ(j["latency_ms"]["first_byte"]["count"], 16);
  auto store = results::ResultsStore::OpenForReading(db);
  const auto requests = store.LoadRequests(store.ListRuns().back().id);
  ASSERT_EQ(requests.size(), 16U);
  for (const auto& r : requests) {
    // All on the harness's monotonic clock. serve streams no reasoning, so the first token is
    // the first visible one.
    ASSERT_TRUE(r.connected_ns && r.first_byte_ns && r.first_token_ns) << r.request_id;
    EXPECT_LE(*r.connected_ns, *r.first_byte_ns) << r.request_id;
    EXPECT_LE(*r.first_byte_ns, *r.first_token_ns) << r.request_id;
    EXPECT_EQ(r.first_visible_token_ns, r.first_token_ns) << r.request_id;
  }
}

}  // namespace
}  // namespace infermeter
