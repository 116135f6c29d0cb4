// The system collector: the /proc parsers on fixtures and on broken text, the collector on
// fixtures (figures checkable by hand, a file vanishing mid-run) and on this machine's /proc.
#include "infermeter/collectors/system_collector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "infermeter/collectors/host_description.h"
#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "proc_files.h"

namespace infermeter::collectors {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kMs = 1'000'000;

std::string Fixture(const std::string& name) {
  const char* dir = std::getenv("INFERMETER_SOURCE_DIR");
  return (fs::path(dir ? dir : ".") / "tests" / "data" / "proc" / name).string();
}

std::string FixtureText(const std::string& name) { return ReadProcFile(Fixture(name)); }

// The message of the InputError `parse` throws, or a failure when it throws none.
template <typename Parse>
std::string InputErrorOf(Parse parse) {
  try {
    parse();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError thrown";
  return "";
}

std::vector<const results::SampleRecord*> Series(const std::vector<results::SampleRecord>& s,
                                                 const std::string& metric) {
  std::vector<const results::SampleRecord*> found;
  for (const auto& sample : s) {
    if (sample.metric == metric) found.push_back(&sample);
  }
  return found;
}

std::optional<results::RunMetric> Metric(const std::vector<results::RunMetric>& metrics,
                                         const std::string& name) {
  for (const auto& m : metrics) {
    if (m.name == name) return m;
  }
  return std::nullopt;
}

// --- parsers ----------------------------------------------------------------------------------

TEST(ProcStat, CommandNameWithSpacesAndParentheses) {
  const ProcStat stat = ParseProcStat(FixtureText("stat"), "stat");
  EXPECT_EQ(stat.utime_ticks, 1500);
  EXPECT_EQ(stat.stime_ticks, 250);
  EXPECT_EQ(stat.cpu_ticks(), 1750);
}

TEST(ProcStat, MalformedLinesNameTheFileAndField) {
  const std::string no_comm = InputErrorOf([] { ParseProcStat("4242 cat R 1 2", "/x/stat"); });
  EXPECT_NE(no_comm.find("/x/stat:1"), std::string::npos) << no_comm;
  EXPECT_NE(no_comm.find("'comm'"), std::string::npos) << no_comm;

  // Cut off after field 13: utime is missing.
  const std::string truncated =
      InputErrorOf([] { ParseProcStat("4242 ((a b) c)) S 1 4242 4242 0 -1 4 2331 0 0 0", "st"); });
  EXPECT_NE(truncated.find("field 'utime'"), std::string::npos) << truncated;
  EXPECT_NE(truncated.find("ends after field 13"), std::string::npos) << truncated;

  const std::string not_number =
      InputErrorOf([] { ParseProcStat("1 (x) S 1 1 1 0 -1 4 0 0 0 0 12 x3 0", "st"); });
  EXPECT_NE(not_number.find("field 'stime'"), std::string::npos) << not_number;
  EXPECT_NE(not_number.find("'x3'"), std::string::npos) << not_number;

  EXPECT_NE(InputErrorOf([] { ParseProcStat("", "st"); }).find("comm"), std::string::npos);
}

TEST(ProcStatus, ResidentMemoryInBytes) {
  const ProcStatus status = ParseProcStatus(FixtureText("status"), "status");
  EXPECT_EQ(status.rss_bytes, 180480LL * 1024);
  EXPECT_EQ(status.rss_peak_bytes, 204800LL * 1024);
}

TEST(ProcStatus, TruncatedOrMalformedFilesNameTheField) {
  const std::string truncated =
      InputErrorOf([] { ParseProcStatus(FixtureText("status_truncated"), "status_truncated"); });
  EXPECT_NE(truncated.find("status_truncated"), std::string::npos) << truncated;
  EXPECT_NE(truncated.find("field 'VmRSS'"), std::string::npos) << truncated;
  EXPECT_NE(truncated.find("missing"), std::string::npos) << truncated;

  const std::string unit =
      InputErrorOf([] { ParseProcStatus("VmHWM:\t 10 kB\nVmRSS:\t 5 MB\n", "status"); });
  EXPECT_NE(unit.find("status:2"), std::string::npos) << unit;
  EXPECT_NE(unit.find("field 'VmRSS'"), std::string::npos) << unit;
  EXPECT_NE(unit.find("'5 MB'"), std::string::npos) << unit;

  const std::string empty = InputErrorOf([] { ParseProcStatus("VmHWM:\nVmRSS: 5 kB\n", "s"); });
  EXPECT_NE(empty.find("field 'VmHWM'"), std::string::npos) << empty;
}

TEST(MemInfo, TotalAvailableAndUsed) {
  const MemInfo memory = ParseMemInfo(FixtureText("meminfo"), "meminfo");
  EXPECT_EQ(memory.total_bytes, 24684084LL * 1024);
  EXPECT_EQ(memory.available_bytes, 20000000LL * 1024);
  EXPECT_EQ(memory.used_bytes(), (24684084LL - 20000000LL) * 1024);
}

TEST(MemInfo, MissingOrInconsistentFieldsAreErrors) {
  const std::string missing = InputErrorOf([] { ParseMemInfo("MemTotal: 100 kB\n", "mi"); });
  EXPECT_NE(missing.find("field 'MemAvailable'"), std::string::npos) << missing;
  const std::string more =
      InputErrorOf([] { ParseMemInfo("MemTotal: 100 kB\nMemAvailable: 200 kB\n", "mi"); });
  EXPECT_NE(more.find("more than MemTotal"), std::string::npos) << more;
  const std::string negative =
      InputErrorOf([] { ParseMemInfo("MemTotal: -100 kB\nMemAvailable: 2 kB\n", "mi"); });
  EXPECT_NE(negative.find("mi:1"), std::string::npos) << negative;
}

TEST(CpuInfo, FirstModelName) {
  EXPECT_EQ(ParseCpuModel(FixtureText("cpuinfo")), "Intel(R) Xeon(R) Platinum 8480+");
  EXPECT_EQ(ParseCpuModel("processor\t: 0\nHardware\t: BCM2835\n"), "");
}

TEST(ReadProcFile, MissingFileIsAnErrorNamingIt) {
  try {
    ReadProcFile("/proc/infermeter-no-such-file");
    FAIL() << "no Error thrown";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/infermeter-no-such-file"), std::string::npos);
  }
}

// --- the collector on fixtures ---------------------------------------------------------------

class FixtureCollector : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("infermeter_system_test_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    for (const char* name : {"stat", "status", "meminfo"}) {
      fs::copy_file(Fixture(name), dir_ / name, fs::copy_options::overwrite_existing);
    }
    paths_ = {.stat = (dir_ / "stat").string(),
              .status = (dir_ / "status").string(),
              .meminfo = (dir_ / "meminfo").string()};
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  ProcPaths paths_;
};

TEST_F(FixtureCollector, SamplesAndSummaryFromTheFiles) {
  SystemCollector collector(paths_);
  EXPECT_EQ(collector.Name(), "system");
  collector.Start({.run = RunId(7)});
  std::vector<results::SampleRecord> samples;
  const std::int64_t t0 = MonotonicNs() + 1000 * kMs;
  collector.Sample(t0, samples);
  collector.Stop(t0 + 1000 * kMs, samples);

  // The files do not change, so the process used no CPU time between the samples.
  const auto cpu = Series(samples, "process_cpu_percent");
  ASSERT_EQ(cpu.size(), 2u);
  EXPECT_EQ(cpu[0]->value, 0.0);
  const auto rss = Series(samples, "process_rss_bytes");
  ASSERT_EQ(rss.size(), 2u);
  EXPECT_EQ(rss[1]->value, 180480.0 * 1024);
  EXPECT_EQ(rss[1]->time_ns, t0 + 1000 * kMs);
  EXPECT_EQ(rss[1]->source, "system");
  EXPECT_EQ(rss[1]->labels_json, "{}");
  EXPECT_EQ(rss[1]->run_id, RunId(7));
  ASSERT_EQ(Series(samples, "host_memory_used_bytes").size(), 2u);
  EXPECT_EQ(Series(samples, "host_memory_used_bytes")[0]->value, 4684084.0 * 1024);
  EXPECT_EQ(Series(samples, "host_memory_total_bytes")[0]->value, 24684084.0 * 1024);

  std::vector<results::RunMetric> metrics;
  std::vector<results::SampleRecord> derived;
  collector.Summarize({.run = RunId(7)}, metrics, derived);
  EXPECT_TRUE(derived.empty());
  ASSERT_TRUE(Metric(metrics, "process_cpu_s"));
  EXPECT_EQ(Metric(metrics, "process_cpu_s")->value, 0.0);
  EXPECT_EQ(Metric(metrics, "process_cpu_s")->unit, "s");
  EXPECT_EQ(Metric(metrics, "process_cpu_percent_mean")->value, 0.0);
  EXPECT_EQ(Metric(metrics, "process_cpu_percent_mean")->unit, "%");
  EXPECT_EQ(Metric(metrics, "process_rss_peak_bytes")->value, 204800.0 * 1024);
  EXPECT_EQ(Metric(metrics, "process_rss_peak_bytes")->unit, "bytes");
  EXPECT_EQ(Metric(metrics, "host_memory_total_bytes")->value, 24684084.0 * 1024);
}

TEST_F(FixtureCollector, CpuPercentIsTicksOverWallTime) {
  SystemCollector collector(paths_);
  collector.Start({.run = RunId(1)});
  // 1750 ticks at Start; 1750 + 2 * ticks-per-second one second later: two cores busy.
  const long hz = sysconf(_SC_CLK_TCK);
  std::ofstream(paths_.stat) << "4242 (x) S 1 1 1 0 -1 4 0 0 0 0 " << 1500 + 2 * hz << " 250 0\n";
  std::vector<results::SampleRecord> samples;
  // The window starts at Start's own clock reading, so allow for the time since then.
  const std::int64_t t = MonotonicNs() + 1000 * kMs;
  collector.Sample(t, samples);
  const auto cpu = Series(samples, "process_cpu_percent");
  ASSERT_EQ(cpu.size(), 1u);
  EXPECT_NEAR(cpu[0]->value, 200.0, 1.0);
  std::vector<results::RunMetric> metrics;
  collector.Summarize({.run = RunId(1)}, metrics, samples);
  EXPECT_DOUBLE_EQ(Metric(metrics, "process_cpu_s")->value, 2.0);
}

TEST_F(FixtureCollector, AFileThatVanishesIsSkippedAndNoted) {
  SystemCollector collector(paths_);
  collector.Start({.run = RunId(1)});
  fs::remove(paths_.meminfo);
  std::vector<results::SampleRecord> samples;
  collector.Sample(MonotonicNs() + 1000 * kMs, samples);  // must not throw
  EXPECT_TRUE(Series(samples, "host_memory_used_bytes").empty());
  EXPECT_EQ(Series(samples, "process_rss_bytes").size(), 1u);
  bool noted = false;
  for (const auto& [key, value] : collector.Facts()) {
    if (key == "read_failures") noted = value.find(paths_.meminfo) != std::string::npos;
  }
  EXPECT_TRUE(noted);
}

TEST_F(FixtureCollector, StartFailsWhereTheFilesAreNotThere) {
  fs::remove(paths_.status);
  SystemCollector collector(paths_);
  try {
    collector.Start({.run = RunId(1)});
    FAIL() << "Start did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(paths_.status), std::string::npos) << e.what();
  }
}

// --- the collector on this machine ------------------------------------------------------------

TEST(SystemCollectorLive, ReadsThisProcessAndHost) {
  SystemCollector collector;
  collector.Start({.run = RunId(3)});
  std::vector<results::SampleRecord> samples;
  for (int i = 0; i < 3; ++i) {
    // Busy for ~150 ms so each window holds CPU time and is long enough to be reported.
    const std::int64_t until = MonotonicNs() + 150 * kMs;
    volatile double sink = 0;
    while (MonotonicNs() < until) sink = sink + 1.0;
    collector.Sample(MonotonicNs(), samples);
  }
  collector.Stop(MonotonicNs(), samples);

  const auto cpu = Series(samples, "process_cpu_percent");
  ASSERT_GE(cpu.size(), 3u);
  for (const auto* s : cpu) EXPECT_GE(s->value, 0.0);
  for (const auto* s : Series(samples, "process_rss_bytes")) EXPECT_GT(s->value, 0.0);
  const auto total = Series(samples, "host_memory_total_bytes");
  ASSERT_FALSE(total.empty());
  EXPECT_GT(total[0]->value, 0.0);
  EXPECT_GT(Series(samples, "host_memory_used_bytes")[0]->value, 0.0);

  std::vector<results::RunMetric> metrics;
  collector.Summarize({.run = RunId(3)}, metrics, samples);
  // ~450 ms of busy looping: some CPU time at any tick rate, and not more than wall time allows.
  EXPECT_GT(Metric(metrics, "process_cpu_s")->value, 0.0);
  EXPECT_GT(Metric(metrics, "process_cpu_percent_mean")->value, 0.0);
  EXPECT_GT(Metric(metrics, "process_rss_peak_bytes")->value, 0.0);
  EXPECT_GT(Metric(metrics, "host_memory_total_bytes")->value, 0.0);
}

TEST(HostDescription, DescribesThisMachine) {
  const HostDescription host = DescribeHost();
  EXPECT_GT(host.logical_cores, 0);
  EXPECT_GT(host.memory_total_bytes, 0);
  EXPECT_FALSE(host.kernel_release.empty());
  EXPECT_FALSE(host.hostname.empty());
  // Not every architecture's cpuinfo has "model name"; x86-64 does.
#if defined(__x86_64__)
  EXPECT_FALSE(host.cpu_model.empty());
#endif
}

}  // namespace
}  // namespace infermeter::collectors
