// The server-metrics collector against real HTTP: Debian's `python3 -m http.server` serving a
// temporary directory whose `metrics` (and `slots`) files the tests rewrite between scrapes, so
// each fixture of tests/data/server-metrics goes through libcurl, the parser and the mapping as a
// server's answer would. Checked: normalized rows on the scrape's time, summary figures (counter
// increases across a rewrite and across a reset, peaks), Facts, a server that goes away mid-run,
// a refused connection and a malformed body at Start, a malformed body mid-run, and Sample
// staying quick while a scrape hangs (a small in-process socket server that accepts and never
// answers: fault injection only).
#include "infermeter/collectors/server_metrics_collector.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "find_metric.h"
#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"

extern char** environ;

namespace infermeter::collectors {
namespace {

using testing::FindMetric;
namespace fs = std::filesystem;
using std::chrono_literals::operator""ms;

std::string Fixture(const std::string& name) {
  const char* dir = std::getenv("INFERMETER_SOURCE_DIR");
  const auto path = fs::path(dir ? dir : ".") / "tests" / "data" / "server-metrics" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// `text` with `from` replaced by `to` (once; the test fails when `from` is not there).
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string DropLines(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.find(needle) == std::string::npos) out += line + "\n";
  }
  return out;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = 10'000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// A TCP port nothing listens on (bound, read, closed).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// `python3 -m http.server` on 127.0.0.1 serving a fresh temporary directory.
class FileServer {
 public:
  FileServer() {
    dir_ = fs::temp_directory_path() /
           ("infermeter-scrape-" + std::to_string(getpid()) + "-" + std::to_string(++count_));
    fs::create_directories(dir_);
    port_ = FreePort();
    const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    const std::string port = std::to_string(port_);
    const std::string dir = dir_.string();
    std::vector<const char*> argv = {python.c_str(), "-m",         "http.server",
                                     "--bind",       "127.0.0.1",  "--directory",
                                     dir.c_str(),    port.c_str(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // Its request log goes to stderr: keep the test's output readable.
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawnp(&pid_, python.c_str(), &actions, nullptr,
                                const_cast<char* const*>(argv.data()), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0) << "cannot start " << python;
    EXPECT_TRUE(WaitFor([&] { return Accepts(port_); })) << "http.server did not start";
  }
  ~FileServer() {
    Kill();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Replaces a file in one step (rename), so a scrape never reads half of it.
  void Write(const std::string& name, const std::string& text) const {
    const fs::path temp = dir_ / (name + ".tmp");
    std::ofstream(temp, std::ios::binary) << text;
    fs::rename(temp, dir_ / name);
  }

  std::string Url(const std::string& name) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + name;
  }

 private:
  static inline int count_ = 0;
  fs::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Fault injection: answers `body` while answering is on, else accepts and never answers.
class HangingServer {
 public:
  explicit HangingServer(std::string body) : body_(std::move(body)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(listen_fd_, 16), 0);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~HangingServer() {
    stop_ = true;
    thread_.join();
    for (int fd : held_) close(fd);
    close(listen_fd_);
  }
  void Hang() { answering_ = false; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/metrics"; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{.fd = listen_fd_, .events = POLLIN};
      if (poll(&p, 1, 20) <= 0) continue;
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      if (!answering_) {
        held_.push_back(fd);  // open, silent: the client waits until its timeout
        continue;
      }
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        request.append(buffer, static_cast<std::size_t>(n));
      }
      const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                                 std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" +
                                 body_;
      send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      close(fd);
    }
  }

  std::string body_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> answering_{true};
  std::atomic<bool> stop_{false};
  std::vector<int> held_;
  std::thread thread_;
};

std::map<std::string, std::string> FactMap(const ServerMetricsCollector& c) {
  std::map<std::string, std::string> out;
  for (auto& [key, value] : c.Facts()) out[key] = value;
  return out;
}

// The newest value of `metric` among `rows`, or nullopt.
std::optional<double> Last(const std::vector<results::SampleRecord>& rows,
                           const std::string& metric) {
  std::optional<double> value;
  for (const auto& row : rows) {
    if (row.metric == metric) value = row.value;
  }
  return value;
}

// One run of a collector: Start, scrapes until `rewrite` has been seen, Stop, Summarize.
struct ScrapeRun {
  harness::CollectorContext context{.run = RunId(7)};
  std::vector<results::SampleRecord> rows;
  std::vector<results::RunMetric> metrics;
  std::int64_t started_ns = 0;

  void Start(ServerMetricsCollector& c) {
    context.start_ns = started_ns = MonotonicNs();
    c.Start(context);
  }
  // Waits for two more scrapes than now: the second began after whatever was written before.
  void Settle(ServerMetricsCollector& c) {
    const auto before = c.Counts();
    ASSERT_TRUE(WaitFor([&] {
      const auto now = c.Counts();
      return now.ok + now.failed >= before.ok + before.failed + 2;
    }));
    c.Sample(MonotonicNs(), rows);
  }
  void Finish(ServerMetricsCollector& c) {
    const std::int64_t end_ns = MonotonicNs();
    c.Stop(end_ns, rows);
    std::vector<results::SampleRecord> derived;
    c.Summarize({.run = context.run, .start_ns = started_ns, .end_ns = end_ns}, metrics, derived);
  }
};

ServerMetricsCollectorOptions Fast(std::string url) {
  return {.metrics_url = std::move(url), .interval_ms = 30, .timeout_ms = 2000};
}

TEST(ServerMetricsCollector, VllmSeriesSummaryAndFacts) {
  FileServer server;
  const std::string v1 = Fixture("vllm_v1.txt");
  server.Write("metrics", v1);
  auto options = Fast(server.Url("metrics"));
  options.kv_bytes_per_token = 131072;  // Llama-3.1-8B: 32 layers x 8 KV heads x 128 x 2 x 2 B
  ServerMetricsCollector collector(options);
  ScrapeRun run;
  run.Start(collector);
  run.Settle(collector);
  // Engine 0 fills up, preempts 4 more requests and gets prefix hits on 614400 of 921600 tokens.
  std::string busier = Replace(
      v1,
      R"(vllm:kv_cache_usage_perc{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.4375)",
      R"(vllm:kv_cache_usage_perc{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.9375)");
  busier = Replace(
      busier,
      R"(vllm:num_preemptions_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 5.0)",
      R"(vllm:num_preemptions_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 9.0)");
  busier = Replace(
      busier,
      R"(vllm:prefix_cache_queries_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 1.8432e+06)",
      R"(vllm:prefix_cache_queries_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 2.7648e+06)");
  busier = Replace(
      busier,
      R"(vllm:prefix_cache_hits_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 921600.0)",
      R"(vllm:prefix_cache_hits_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 1.536e+06)");
  busier = Replace(
      busier,
      R"(vllm:num_requests_waiting{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 3.0)",
      R"(vllm:num_requests_waiting{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 40.0)");
  server.Write("metrics", busier);
  run.Settle(collector);
  const std::int64_t before_stop = MonotonicNs();
  run.Finish(collector);

  // Rows: the scrape's time, this collector's name, the normalized names.
  ASSERT_FALSE(run.rows.empty());
  for (const auto& row : run.rows) {
    EXPECT_EQ(row.source, "server_metrics");
    EXPECT_EQ(row.run_id, RunId(7));
    EXPECT_GE(row.time_ns, run.started_ns);
    EXPECT_EQ(row.labels_json, "{}") << row.metric;
  }
  const double capacity = 2 * 27845.0 * 16;  // two engines' num_gpu_blocks x block_size
  EXPECT_EQ(Last(run.rows, "server_kv_usage_ratio"), (0.9375 + 0.3125) / 2);
  EXPECT_EQ(Last(run.rows, "server_kv_capacity_tokens"), capacity);
  EXPECT_EQ(Last(run.rows, "server_kv_used_tokens"), (0.9375 + 0.3125) * 27845 * 16);
  EXPECT_EQ(Last(run.rows, "server_kv_capacity_bytes"), capacity * 131072);
  EXPECT_EQ(Last(run.rows, "server_kv_used_bytes"), (0.9375 + 0.3125) * 27845 * 16 * 131072);
  EXPECT_EQ(Last(run.rows, "server_running_requests"), 22);
  EXPECT_EQ(Last(run.rows, "server_waiting_requests"), 41);
  EXPECT_EQ(Last(run.rows, "server_preemptions_total"), 11);
  // Stamped when scraped: Start's scrape came before the first Sample.
  EXPECT_LT(run.rows.front().time_ns, before_stop);

  const auto& m = run.metrics;
  EXPECT_EQ(FindMetric(m, "server_preemptions"), 4);
  EXPECT_EQ(FindMetric(m, "server_prefix_cache_hits"), 614400);
  EXPECT_EQ(FindMetric(m, "server_prefix_cache_queries"), 921600);
  EXPECT_DOUBLE_EQ(*FindMetric(m, "server_prefix_cache_hit_ratio"), 614400.0 / 921600.0);
  EXPECT_EQ(FindMetric(m, "server_kv_usage_peak_ratio"), 0.625);
  const double mean = *FindMetric(m, "server_kv_usage_mean_ratio");
  EXPECT_GT(mean, 0.375);
  EXPECT_LT(mean, 0.625);
  EXPECT_EQ(FindMetric(m, "server_kv_capacity_tokens"), capacity);
  EXPECT_EQ(FindMetric(m, "server_kv_bytes_capacity"), capacity * 131072);
  EXPECT_EQ(FindMetric(m, "server_kv_bytes_peak"), 1.25 * 27845 * 16 * 131072);
  EXPECT_EQ(FindMetric(m, "server_running_requests_peak"), 22);
  EXPECT_EQ(FindMetric(m, "server_waiting_requests_peak"), 41);
  EXPECT_EQ(FindMetric(m, "server_prompt_tokens"), 0);  // unchanged between the bodies
  for (const auto& metric : m) EXPECT_EQ(metric.name.rfind("server_", 0), 0u) << metric.name;

  const auto facts = FactMap(collector);
  EXPECT_EQ(facts.at("metrics_url"), server.Url("metrics"));
  EXPECT_EQ(facts.at("server"), "vllm");
  EXPECT_EQ(facts.at("mapping"), "vllm");
  EXPECT_NE(facts.at("mapping_record").find(R"("source":"vllm:kv_cache_usage_perc")"),
            std::string::npos)
      << facts.at("mapping_record");
  EXPECT_EQ(facts.at("scrapes_failed"), "0");
  EXPECT_GE(std::stoi(facts.at("scrapes_ok")), 5);  // Start, 2 + 2 settling, Stop
  EXPECT_TRUE(facts.contains("scrape_median_ms"));
  EXPECT_NE(facts.at("kv_bytes_source").find("131072 bytes per token"), std::string::npos);
  EXPECT_FALSE(facts.contains("last_error"));
  EXPECT_FALSE(facts.contains("counter_resets"));
}

TEST(ServerMetricsCollector, CounterThatGoesDownIsAResetNotANegativeIncrease) {
  FileServer server;
  const std::string body = Fixture("sglang.txt");
  server.Write("metrics", body);
  ServerMetricsCollector collector(Fast(server.Url("metrics")));
  ScrapeRun run;
  run.Start(collector);
  run.Settle(collector);
  const std::string rank0 =
      R"(sglang:num_retracted_requests_total{dp_rank="0",engine_type="unified",model_name="Qwen/Qwen2.5-32B-Instruct",moe_ep_rank="0",pp_rank="0",tp_rank="0"} )";
  const std::string rank1 =
      R"(sglang:num_retracted_requests_total{dp_rank="1",engine_type="unified",model_name="Qwen/Qwen2.5-32B-Instruct",moe_ep_rank="0",pp_rank="0",tp_rank="4"} )";
  // 3 + 1 -> 10 + 1 (an increase of 7), then the server restarts: 1 + 0 (1 more since).
  server.Write("metrics", Replace(body, rank0 + "3.0", rank0 + "10.0"));
  run.Settle(collector);
  server.Write("metrics",
               Replace(Replace(body, rank0 + "3.0", rank0 + "1.0"), rank1 + "1.0", rank1 + "0.0"));
  run.Settle(collector);
  run.Finish(collector);

  EXPECT_EQ(FindMetric(run.metrics, "server_preemptions"), 8);
  EXPECT_EQ(FindMetric(run.metrics, "server_kv_usage_peak_ratio"), (0.25 + 0.125) / 2);
  EXPECT_EQ(FindMetric(run.metrics, "server_kv_used_tokens_peak"), 142745 + 71372);
  EXPECT_EQ(FindMetric(run.metrics, "server_running_requests_peak"), 48);
  EXPECT_EQ(Last(run.rows, "server_kv_used_tokens"), 142745 + 71372);
  EXPECT_FALSE(FindMetric(run.metrics, "server_kv_bytes_peak"));  // no bytes per token given
  const auto facts = FactMap(collector);
  EXPECT_EQ(facts.at("server"), "sglang");
  ASSERT_TRUE(facts.contains("counter_resets"));
  EXPECT_NE(facts.at("counter_resets").find("preemptions_total: 11 -> 1"), std::string::npos)
      << facts.at("counter_resets");
  EXPECT_EQ(facts.at("kv_bytes_source").rfind("none: no KV bytes per token", 0), 0u);
}

TEST(ServerMetricsCollector, LlamaCppKvFiguresFromSlots) {
  FileServer server;
  // A current build: no KV figures on /metrics any more.
  server.Write("metrics", DropLines(Fixture("llamacpp.txt"), "kv_cache"));
  server.Write("slots", Fixture("llamacpp_slots.json"));
  auto options = Fast(server.Url("metrics"));
  options.slots_url = server.Url("slots");
  options.kv_bytes_per_token = 1024;
  ServerMetricsCollector collector(options);
  ScrapeRun run;
  run.Start(collector);
  run.Settle(collector);
  run.Finish(collector);

  EXPECT_EQ(Last(run.rows, "server_kv_capacity_tokens"), 4 * 4096);
  EXPECT_EQ(Last(run.rows, "server_kv_used_tokens"), 1000 + 24 + 2000 + 48);
  EXPECT_EQ(Last(run.rows, "server_kv_usage_ratio"), 3072.0 / 16384);
  EXPECT_EQ(Last(run.rows, "server_kv_used_bytes"), 3072.0 * 1024);
  EXPECT_EQ(Last(run.rows, "server_running_requests"), 2);  // /metrics' own figure
  EXPECT_EQ(Last(run.rows, "server_waiting_requests"), 1);
  EXPECT_EQ(FindMetric(run.metrics, "server_kv_usage_peak_ratio"), 0.1875);
  const auto facts = FactMap(collector);
  EXPECT_EQ(facts.at("server"), "llama.cpp");
  EXPECT_EQ(facts.at("slots_url"), server.Url("slots"));
  EXPECT_NE(facts.at("mapping_record").find("/slots n_ctx"), std::string::npos);
  EXPECT_FALSE(facts.contains("slots_failed"));
}

TEST(ServerMetricsCollector, SlotsThatFailDoNotFailTheScrape) {
  FileServer server;
  server.Write("metrics", Fixture("llamacpp.txt"));
  auto options = Fast(server.Url("metrics"));
  options.slots_url = server.Url("slots");  // never written: 404
  ServerMetricsCollector collector(options);
  ScrapeRun run;
  run.Start(collector);
  run.Finish(collector);
  EXPECT_EQ(Last(run.rows, "server_kv_usage_ratio"), 0.15625);  // the old build's own figure
  const auto facts = FactMap(collector);
  EXPECT_EQ(facts.at("scrapes_failed"), "0");
  ASSERT_TRUE(facts.contains("slots_failed"));
  EXPECT_NE(facts.at("slots_failed").find("HTTP 404"), std::string::npos);
}

// Every other fixture: the server detected, and the rows its mapping gives.
TEST(ServerMetricsCollector, EachServerAndAnUnknownOne) {
  FileServer server;
  struct Case {
    const char* fixture;
    const char* server;
    const char* metric;
    double value;
  };
  for (const Case& c : {Case{"mindie.txt", "mindie", "server_kv_usage_ratio", 0.3},
                        Case{"triton_trtllm.txt", "triton", "server_running_requests", -1},
                        Case{"trtllm_serve.txt", "trtllm-serve", "server_running_requests", -1},
                        Case{"tgi.txt", "tgi", "server_waiting_requests", -1},
                        Case{"vllm_legacy.txt", "vllm", "server_kv_usage_ratio", -1},
                        Case{"vllm_openmetrics.txt", "vllm", "server_kv_usage_ratio", -1},
                        Case{"unknown_scalellm.txt", "unknown", "", -1}}) {
    SCOPED_TRACE(c.fixture);
    server.Write("metrics", Fixture(c.fixture));
    ServerMetricsCollector collector(Fast(server.Url("metrics")));
    ScrapeRun run;
    run.Start(collector);
    run.Finish(collector);
    const auto facts = FactMap(collector);
    EXPECT_EQ(facts.at("server"), c.server);
    if (std::string(c.server) == "unknown") {
      EXPECT_NE(facts.at("mapping").find("raw:"), std::string::npos) << facts.at("mapping");
      std::size_t raw = 0;
      for (const auto& row : run.rows) raw += row.metric.rfind("raw:", 0) == 0 ? 1 : 0;
      EXPECT_GT(raw, 0u);
      EXPECT_TRUE(run.metrics.empty());
      continue;
    }
    const std::optional<double> value = Last(run.rows, c.metric);
    ASSERT_TRUE(value) << c.metric;
    if (c.value >= 0) {
      EXPECT_DOUBLE_EQ(*value, c.value);
    }
  }
}

TEST(ServerMetricsCollector, ExpectedServerOverridesDetection) {
  FileServer server;
  server.Write("metrics", Fixture("mindie.txt"));
  auto options = Fast(server.Url("metrics"));
  options.expected_server = "mindie";
  ServerMetricsCollector collector(options);
  ScrapeRun run;
  run.Start(collector);
  run.Finish(collector);
  EXPECT_EQ(FactMap(collector).at("mapping"), "mindie (as asked)");

  options.expected_server = "sglang";
  options.slots_url = server.Url("slots");  // not llama.cpp: never read, so never a failure
  ServerMetricsCollector wrong(options);
  ScrapeRun other;
  other.Start(wrong);
  other.Finish(wrong);
  EXPECT_EQ(FactMap(wrong).at("mapping"), "sglang (as asked; the scrape looks like mindie)");
  EXPECT_FALSE(Last(other.rows, "server_kv_usage_ratio"));
  EXPECT_FALSE(FactMap(wrong).contains("slots_failed"));
}

TEST(ServerMetricsCollector, ServerThatGoesAwayIsCountedNotFatal) {
  FileServer server;
  server.Write("metrics", Fixture("vllm_v1.txt"));
  ServerMetricsCollector collector(Fast(server.Url("metrics")));
  ScrapeRun run;
  run.Start(collector);
  run.Settle(collector);
  server.Kill();
  ASSERT_TRUE(WaitFor([&] { return collector.Counts().failed >= 2; }));
  EXPECT_NO_THROW(collector.Sample(MonotonicNs(), run.rows));
  run.Finish(collector);
  const auto facts = FactMap(collector);
  EXPECT_GE(std::stoi(facts.at("scrapes_failed")), 2);
  EXPECT_EQ(facts.at("last_error"),
            "cannot scrape " + server.Url("metrics") + ": connection refused");
  EXPECT_EQ(FindMetric(run.metrics, "server_running_requests_peak"), 22);  // what was scraped
}

TEST(ServerMetricsCollector, RefusedConnectionAtStartIsAClearError) {
  const std::string url = "http://127.0.0.1:" + std::to_string(FreePort()) + "/metrics";
  ServerMetricsCollector collector(Fast(url));
  try {
    collector.Start({.run = RunId(1), .start_ns = MonotonicNs()});
    FAIL() << "Start did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot scrape " + url + ": connection refused");
  }
  EXPECT_EQ(collector.Counts().failed, 1);
}

TEST(ServerMetricsCollector, MalformedTextNamesUrlAndLine) {
  FileServer server;
  server.Write("metrics", Fixture("malformed_missing_equals.txt"));
  ServerMetricsCollector at_start(Fast(server.Url("metrics")));
  try {
    at_start.Start({.run = RunId(1), .start_ns = MonotonicNs()});
    FAIL() << "Start did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(server.Url("metrics") + ":17:"), std::string::npos)
        << e.what();
  }

  // Mid-run: a failed scrape, counted and noted; the good scrapes around it still count.
  server.Write("metrics", Fixture("vllm_v1.txt"));
  ServerMetricsCollector collector(Fast(server.Url("metrics")));
  ScrapeRun run;
  run.Start(collector);
  server.Write("metrics", Fixture("malformed_missing_equals.txt"));
  run.Settle(collector);
  server.Write("metrics", Fixture("vllm_v1.txt"));
  run.Settle(collector);
  run.Finish(collector);
  const auto facts = FactMap(collector);
  EXPECT_GE(std::stoi(facts.at("scrapes_failed")), 1);
  EXPECT_NE(
      facts.at("last_error").find("malformed metrics text: " + server.Url("metrics") + ":17:"),
      std::string::npos)
      << facts.at("last_error");
  EXPECT_EQ(Last(run.rows, "server_running_requests"), 22);
}

TEST(ServerMetricsCollector, SampleStaysQuickWhileAScrapeHangs) {
  HangingServer server(Fixture("vllm_v1.txt"));
  auto options = Fast(server.Url());
  options.timeout_ms = 60'000;  // the hang outlasts the test unless Stop cuts it off
  options.start_timeout_ms = 300;
  ServerMetricsCollector collector(options);
  ScrapeRun run;
  run.Start(collector);
  server.Hang();
  std::this_thread::sleep_for(200ms);  // a scrape is now waiting on the silent server
  std::vector<results::SampleRecord> rows;
  rows.reserve(64);
  for (int i = 0; i < 20; ++i) {
    const std::int64_t begin = MonotonicNs();
    collector.Sample(MonotonicNs(), rows);
    // Generous for a loaded 2-core machine; the hanging scrape itself lasts a minute.
    EXPECT_LT(MonotonicNs() - begin, 250'000'000) << "Sample waited on the network";
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(Last(rows, "server_running_requests"), 22);  // Start's scrape
  const std::int64_t begin = MonotonicNs();
  run.Finish(collector);
  // The hanging scrape is cut off at once; Stop's own scrape gives up after start_timeout_ms.
  EXPECT_LT(MonotonicNs() - begin, 2'000'000'000);
  const auto facts = FactMap(collector);
  EXPECT_NE(facts.at("last_error").find("no complete answer within 300 ms"), std::string::npos)
      << facts.at("last_error");
}

TEST(ServerMetricsCollector, OptionsAreChecked) {
  using Options = ServerMetricsCollectorOptions;
  EXPECT_THROW(ServerMetricsCollector(Options{}), InputError);
  EXPECT_THROW(ServerMetricsCollector(Options{.metrics_url = "http://x/metrics", .interval_ms = 0}),
               InputError);
  EXPECT_THROW(
      ServerMetricsCollector(Options{.metrics_url = "http://x/metrics", .expected_server = "vlm"}),
      InputError);
  EXPECT_EQ(ServerKindFromString("trtllm-serve"), ServerKind::kTrtllmServe);
  EXPECT_FALSE(ServerKindFromString("VLLM"));
}

}  // namespace
}  // namespace infermeter::collectors
