// `infermeter exporter --db FILE --addr HOST:PORT` end to end: a real `infermeter run` records a
// small run, the exporter serves the file on a free port it names on stderr, and the real `curl`
// fetches /metrics. Every stored `run_metrics` row of the run is there, equal to what `sqlite3`
// reads from the same file (in base units); a run recorded by another process while the exporter
// serves shows up at the next scrape; SIGTERM ends it with exit 0. Bad --db and --addr values are
// clear errors (exit 1 and 2) before anything is served.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "infermeter/collectors/prometheus_text.h"
#include "infermeter/exporter/run_metric_names.h"
#include "infermeter/results/store.h"
#include "process.h"
#include "temp_db.h"

namespace infermeter {
namespace {

using testing::RunProcess;
using testing::ShellQuote;
using Clock = std::chrono::steady_clock;

std::string Bin() { return ShellQuote(INFERMETER_BIN); }

// The run the issue describes: 4 synthetic requests, 2 at a time, no live metrics.
std::string SmallRun(const std::string& db) {
  return Bin() + " run --db " + ShellQuote(db) +
         " --workload synthetic --requests 4 --concurrency 2 --input-tokens 32 "
         "--output-tokens 8 --no-progress --no-metrics";
}

// What `sqlite3 DB SQL` prints, trimmed (the real command-line shell, not our library).
std::string Sqlite(const std::string& db, const std::string& sql) {
  const auto r = RunProcess("sqlite3 -readonly " + ShellQuote(db) + " " + ShellQuote(sql));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// `infermeter exporter ...` as a child process; the URL comes from its stderr line.
class ExporterProcess {
 public:
  explicit ExporterProcess(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env = {}) {
    int err[2];
    if (pipe(err) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv_text = {INFERMETER_BIN, "exporter"};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    pid_ = fork();
    if (pid_ == 0) {
      for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
      dup2(err[1], STDERR_FILENO);
      close(err[0]);
      close(err[1]);
      std::vector<char*> argv;
      for (auto& a : argv_text) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(err[1]);
    stderr_ = err[0];
    static const std::regex kServing(
        R"(^infermeter: serving metrics at (http://127\.0\.0\.1:([0-9]+)/metrics)$)");
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      const std::string line = ReadLine(deadline);
      std::smatch match;
      if (std::regex_match(line, match, kServing)) {
        url_ = match[1];
        port_ = std::stoi(match[2]);
        return;
      }
    }
    throw std::runtime_error("no 'serving metrics at' line from infermeter exporter: " +
                             stderr_text_);
  }

  ~ExporterProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stderr_ >= 0) close(stderr_);
  }

  // SIGTERM, then the exit code (-1 if it did not exit within `limit` or died of a signal).
  int Terminate(std::chrono::seconds limit = std::chrono::seconds(20)) {
    kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + limit;
    int status = 0;
    while (Clock::now() < deadline) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        Drain();
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  const std::string& url() const { return url_; }
  int port() const { return port_; }
  // Everything it wrote on stderr so far.
  const std::string& stderr_text() const { return stderr_text_; }

 private:
  // One line of stderr (kept in stderr_text_ too); "" when `deadline` passed.
  std::string ReadLine(Clock::time_point deadline) {
    std::string line;
    while (Clock::now() < deadline) {
      pollfd p{stderr_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      if (read(stderr_, &c, 1) != 1) break;
      stderr_text_ += c;
      if (c == '\n') return line;
      line += c;
    }
    return line;
  }
  void Drain() {
    char buffer[512];
    pollfd p{stderr_, POLLIN, 0};
    while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
      const ssize_t n = read(stderr_, buffer, sizeof buffer);
      if (n <= 0) break;
      stderr_text_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int stderr_ = -1;
  std::string stderr_text_;
  std::string url_;
  int port_ = 0;
};

// GET `url` with the real curl; the body, parsed as Prometheus text (which refuses a family
// typed twice and a series given twice).
collectors::PromScrape Scrape(const std::string& url) {
  const auto r = RunProcess("curl -sS --fail --max-time 20 " + ShellQuote(url));
  if (r.exit_code != 0) throw std::runtime_error("curl " + url + " failed: " + r.err);
  return collectors::ParsePrometheusText(r.out, url);
}

// The value of the one sample of `family` whose labels are exactly `labels`.
std::optional<double> Value(const collectors::PromScrape& scrape, const std::string& family,
                            const collectors::PromLabels& labels) {
  const collectors::PromFamily* found = scrape.Find(family);
  if (found == nullptr) return std::nullopt;
  for (const auto& sample : found->samples) {
    if (sample.labels == labels) return sample.value;
  }
  return std::nullopt;
}

class ExporterCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    db_ = dir_->File("runs.db");
    const auto r = RunProcess(SmallRun(db_));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static testing::TempDir* dir_;
  static std::string db_;
};

testing::TempDir* ExporterCliTest::dir_ = nullptr;
std::string ExporterCliTest::db_;

TEST_F(ExporterCliTest, ServesEveryStoredFigureOfTheRun) {
  ASSERT_EQ(Sqlite(db_, "select count(*) from runs"), "1");
  const std::string run_id = Sqlite(db_, "select id from runs");
  ExporterProcess exporter({"--db", db_, "--addr", "127.0.0.1:0"});
  EXPECT_GT(exporter.port(), 0);
  const collectors::PromScrape scrape = Scrape(exporter.url());

  // The figure the issue names, against the sqlite3 shell's reading of the same file.
  const auto output_tokens = Value(scrape, "infermeter_run_output_tokens", {{"run_id", run_id}});
  ASSERT_TRUE(output_tokens);
  EXPECT_EQ(*output_tokens,
            std::stod(Sqlite(db_, "select value from run_metrics where name='output_tokens'")));
  EXPECT_GT(*output_tokens, 0);

  // Every stored row, in base units, and nothing else with this run's id.
  auto store = results::ResultsStore::OpenForReading(db_);
  const std::vector<results::RunMetric> stored = store.LoadRunMetrics(RunId(std::stoll(run_id)));
  ASSERT_EQ(std::to_string(stored.size()),
            Sqlite(db_, "select count(*) from run_metrics where run_id=" + run_id));
  ASSERT_GT(stored.size(), 100u);
  for (const results::RunMetric& metric : stored) {
    const exporter::RunMetricName name = exporter::ExportedRunMetricName(metric.name, metric.unit);
    collectors::PromLabels labels{{"run_id", run_id}};
    if (!name.stat.empty()) labels.emplace_back("stat", name.stat);
    const auto value = Value(scrape, name.family, labels);
    ASSERT_TRUE(value) << metric.name << " -> " << name.family << " is not exported";
    // prometheus-cpp writes 16 significant digits: equal to within the last one.
    const double expected = metric.value * name.scale;
    EXPECT_LE(std::abs(*value - expected), 1e-15 * std::abs(expected))
        << metric.name << ": " << *value << " exported, " << expected << " stored";
  }
  std::size_t summary_series = 0;
  for (const auto& family : scrape.families) {
    if (!family.name.starts_with("infermeter_")) continue;  // prometheus-cpp's own exposer_*
    EXPECT_EQ(family.type, family.name == "infermeter_exporter_read_errors_total"
                               ? collectors::PromMetricType::kCounter
                               : collectors::PromMetricType::kGauge)
        << family.name;
    if (!family.name.starts_with("infermeter_run_") || family.name == "infermeter_run_info" ||
        family.name.ends_with("_time_seconds")) {
      continue;
    }
    for (const auto& sample : family.samples) summary_series += sample.Label("run_id") == run_id;
  }
  EXPECT_EQ(summary_series, stored.size());

  // What the run is and how it ended; when it started and ended.
  const collectors::PromFamily* info = scrape.Find("infermeter_run_info");
  ASSERT_NE(info, nullptr);
  ASSERT_EQ(info->samples.size(), 1u);
  const auto& labels = info->samples[0];
  EXPECT_EQ(labels.Label("run_id"), run_id);
  EXPECT_EQ(labels.Label("engine"), "reference");
  EXPECT_EQ(labels.Label("workload"), Sqlite(db_, "select workload_name from runs"));
  EXPECT_EQ(labels.Label("status"), "completed");
  EXPECT_EQ(labels.Label("validity"), Sqlite(db_, "select validity from runs"));
  EXPECT_TRUE(labels.Label("hardware") && !labels.Label("hardware")->empty());
  const auto end = Value(scrape, "infermeter_run_end_time_seconds", {{"run_id", run_id}});
  ASSERT_TRUE(end);
  EXPECT_NEAR(*end, std::stod(Sqlite(db_, "select finished_unix_ns from runs")) / 1e9, 1e-5);
  EXPECT_TRUE(Value(scrape, "infermeter_run_start_time_seconds", {{"run_id", run_id}}));
  EXPECT_EQ(Value(scrape, "infermeter_exporter_runs", {}), 1);
  EXPECT_EQ(Value(scrape, "infermeter_exporter_last_read_success", {}), 1);
  EXPECT_EQ(Value(scrape, "infermeter_exporter_read_errors_total", {}), 0);

  // Prometheus's own linter, when it is installed (Debian's `prometheus` package).
  if (RunProcess("command -v promtool").exit_code == 0) {
    const auto body = RunProcess("curl -sS --max-time 20 " + ShellQuote(exporter.url()));
    const auto lint =
        RunProcess("printf '%s' " + ShellQuote(body.out) + " | promtool check metrics");
    EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
    EXPECT_EQ(lint.out + lint.err, "");
  }

  const int code = exporter.Terminate();
  EXPECT_EQ(code, 0) << exporter.stderr_text();
  std::size_t lines = 0;
  for (std::size_t at = 0;
       (at = exporter.stderr_text().find("serving metrics at", at)) != std::string::npos; ++at) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << exporter.stderr_text();
}

TEST_F(ExporterCliTest, ShowsARunRecordedWhileItServes) {
  const std::string db = dir_->File("growing.db");
  ASSERT_EQ(RunProcess(SmallRun(db)).exit_code, 0);
  // $INFERMETER_DB names the file when --db does not.
  ExporterProcess exporter({"--addr", "127.0.0.1:0"}, {{"INFERMETER_DB", db}});
  EXPECT_EQ(Value(Scrape(exporter.url()), "infermeter_exporter_runs", {}), 1);

  // Another process records a run in the file being served (WAL: neither waits for the other).
  const auto second = RunProcess(SmallRun(db));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const std::string second_id = Sqlite(db, "select max(id) from runs");
  const collectors::PromScrape scrape = Scrape(exporter.url());
  EXPECT_EQ(Value(scrape, "infermeter_exporter_runs", {}), 2);
  ASSERT_NE(scrape.Find("infermeter_run_info"), nullptr);
  EXPECT_EQ(scrape.Find("infermeter_run_info")->samples.size(), 2u);
  const auto output_tokens = Value(scrape, "infermeter_run_output_tokens", {{"run_id", second_id}});
  ASSERT_TRUE(output_tokens);
  EXPECT_EQ(*output_tokens,
            std::stod(Sqlite(db,
                             "select value from run_metrics where name='output_tokens' and "
                             "run_id=" +
                                 second_id)));
  EXPECT_EQ(exporter.Terminate(), 0) << exporter.stderr_text();
}

TEST_F(ExporterCliTest, RefusesABadDbOrAddressBeforeServing) {
  // `timeout`: a command that wrongly started serving would otherwise never end.
  const auto exporter = [](const std::string& args) {
    return RunProcess("timeout 60 " + Bin() + " exporter " + args);
  };
  const auto expect_refused = [](const testing::ProcessResult& r, int code,
                                 const std::vector<std::string>& said) {
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.find("serving metrics"), std::string::npos) << r.err;
    for (const std::string& text : said) EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
  };
  const std::string addr = " --addr 127.0.0.1:0";

  expect_refused(exporter("--db " + ShellQuote(dir_->File("missing.db")) + addr), 1,
                 {"missing.db", "--db"});
  const std::string text = dir_->File("notes.txt");
  ASSERT_EQ(RunProcess("echo 'not a database' > " + ShellQuote(text)).exit_code, 0);
  expect_refused(exporter("--db " + ShellQuote(text) + addr), 1,
                 {"notes.txt", "not a readable SQLite"});
  const std::string other = dir_->File("other.db");
  ASSERT_EQ(RunProcess("sqlite3 " + ShellQuote(other) + " 'create table t(x)'").exit_code, 0);
  expect_refused(exporter("--db " + ShellQuote(other) + addr), 1,
                 {"other.db", "not an infermeter results file"});
  expect_refused(exporter("--db " + ShellQuote(dir_->path().string()) + addr), 1, {"directory"});

  // Malformed addresses are usage errors.
  expect_refused(exporter("--db " + ShellQuote(db_) + " --addr localhost"), 2,
                 {"--addr", "HOST:PORT"});
  expect_refused(exporter("--db " + ShellQuote(db_) + " --addr 127.0.0.1:70000"), 2,
                 {"--addr", "0 to 65535"});
  expect_refused(exporter("--db " + ShellQuote(db_) + " --addr ::1:9464"), 2,
                 {"--addr", "brackets"});

  // A port that is taken (by us, listening) is an error naming the address.
  const int taken = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(taken, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(taken, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(taken, 1), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(taken, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string port = std::to_string(ntohs(address.sin_port));
  expect_refused(exporter("--db " + ShellQuote(db_) + " --addr 127.0.0.1:" + port), 1,
                 {"127.0.0.1:" + port, "cannot serve metrics"});
  close(taken);
}

}  // namespace
}  // namespace infermeter
