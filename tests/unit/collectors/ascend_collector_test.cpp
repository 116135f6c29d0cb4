// AscendCollector end to end without an NPU: fake `npu-smi` scripts written here serve the
// fixtures of tests/data/npu-smi through the real spawn-and-read path, and a fake libdcmi.so
// (ascend_fake_dcmi.cpp, built with the test) goes through the real dlopen path. Energy figures
// are checked against values worked out by hand from the fixtures' power columns.
#include "infermeter/collectors/ascend_collector.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "dcmi_library.h"
#include "infermeter/collectors/npu_smi.h"
#include "infermeter/collectors/npu_smi_runner.h"
#include "infermeter/core/clock.h"
#include "infermeter/core/dynamic_library.h"
#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

using results::RunMetric;
using results::SampleRecord;

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kMiB = 1024 * 1024;
const std::string kNoDcmi = "/nonexistent/infermeter-test/libdcmi.so";
const std::string kFakeDcmi = INFERMETER_FAKE_DCMI;

std::string FixturePath(const std::string& name) {
  const char* dir = std::getenv("INFERMETER_SOURCE_DIR");
  return (std::filesystem::path(dir ? dir : ".") / "tests" / "data" / "npu-smi" / name).string();
}

// A temporary folder holding a fake `npu-smi` script. Serve() makes it print current.txt;
// Switch() replaces that file atomically (write, then rename over), so a concurrent run of the
// script sees either the old fixture or the new one, never half of one.
class FakeNpuSmi {
 public:
  FakeNpuSmi() {
    std::string pattern = (std::filesystem::temp_directory_path() / "infermeter-npu-smi-XXXXXX");
    dir_ = ::mkdtemp(pattern.data());
  }
  ~FakeNpuSmi() { std::filesystem::remove_all(dir_); }
  FakeNpuSmi(const FakeNpuSmi&) = delete;
  FakeNpuSmi& operator=(const FakeNpuSmi&) = delete;

  std::string path() const { return dir_ + "/npu-smi"; }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }

  // `body` runs for `npu-smi info`; any other arguments are refused as the real tool does.
  void Script(const std::string& body) const {
    std::ofstream(path()) << "#!/bin/sh\n"
                          << "[ \"$1\" = info ] || { echo \"usage: npu-smi info\" >&2; exit 2; }\n"
                          << body;
    ::chmod(path().c_str(), 0755);
  }
  void Serve(const std::string& fixture) const {
    Script("exec cat '" + file("current.txt") + "'\n");
    Switch(fixture);
  }
  void Switch(const std::string& fixture) const {
    std::filesystem::copy_file(FixturePath(fixture), file("next.txt"),
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(file("next.txt"), file("current.txt"));
  }

 private:
  std::string dir_;
};

AscendCollectorOptions NpuSmiOptions(const FakeNpuSmi& fake, bool background) {
  return {.dcmi_paths = {kNoDcmi},
          .npu_smi = fake.path(),
          .poll_interval_ms = 20,
          .background_polling = background};
}

bool HasLabels(const SampleRecord& s, int npu, int chip) {
  const nlohmann::json labels = nlohmann::json::parse(s.labels_json);
  return labels.value("npu", "") == std::to_string(npu) &&
         labels.value("chip", "") == std::to_string(chip);
}

std::vector<SampleRecord> Only(const std::vector<SampleRecord>& samples,
                               const std::string& metric) {
  std::vector<SampleRecord> found;
  for (const SampleRecord& s : samples) {
    if (s.metric == metric) found.push_back(s);
  }
  return found;
}

// The value of `metric` for one chip; fails the test when there is not exactly one.
double Value(const std::vector<SampleRecord>& samples, const std::string& metric, int npu,
             int chip) {
  std::vector<double> values;
  for (const SampleRecord& s : Only(samples, metric)) {
    if (HasLabels(s, npu, chip)) values.push_back(s.value);
  }
  EXPECT_EQ(values.size(), 1u) << metric << " npu " << npu << " chip " << chip;
  return values.empty() ? -1 : values[0];
}

std::map<std::string, RunMetric> ByName(const std::vector<RunMetric>& metrics) {
  std::map<std::string, RunMetric> named;
  for (const RunMetric& m : metrics) named[m.name] = m;
  return named;
}

std::map<std::string, std::string> FactMap(const AscendCollector& collector) {
  std::map<std::string, std::string> facts;
  for (const auto& [key, value] : collector.Facts()) facts[key] = value;
  return facts;
}

std::vector<RunMetric> Summarize(AscendCollector& collector, std::int64_t start_ns,
                                 std::int64_t end_ns) {
  std::vector<results::RequestRecord> requests;
  std::vector<RunMetric> metrics;
  std::vector<SampleRecord> samples;
  collector.Summarize(
      {.run = RunId{7}, .start_ns = start_ns, .end_ns = end_ns, .requests = &requests}, metrics,
      samples);
  EXPECT_TRUE(samples.empty());
  return metrics;
}

std::string StartError(AscendCollector& collector) {
  try {
    collector.Start({.run = RunId{7}});
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "Start did not throw";
  return "";
}

// ---------------------------------------------------------------------------------------------
// npu-smi

TEST(AscendCollector, NpuSmiSamplesAndEnergyWorkedOutByHand) {
  FakeNpuSmi fake;
  fake.Serve("atlas800i_a2_910b4_idle.txt");
  AscendCollector collector(NpuSmiOptions(fake, /*background=*/false));
  collector.Start({.run = RunId{7}, .start_ns = 0});

  std::vector<SampleRecord> first;
  collector.Sample(1 * kS, first);
  ASSERT_EQ(first.size(), 10u);  // 2 chips x (used, total, AI Core, power, temperature)
  for (const SampleRecord& s : first) {
    EXPECT_EQ(s.time_ns, 1 * kS);
    EXPECT_EQ(s.source, "ascend");
    EXPECT_EQ(s.run_id, RunId{7});
  }
  EXPECT_EQ(Value(first, "npu_power_watts", 0, 0), 90.0);
  EXPECT_EQ(Value(first, "npu_power_watts", 1, 0), 85.0);
  EXPECT_EQ(Value(first, "npu_memory_used_bytes", 0, 0), 2950.0 * kMiB);  // HBM
  EXPECT_EQ(Value(first, "npu_memory_total_bytes", 1, 0), 32768.0 * kMiB);
  EXPECT_EQ(Value(first, "npu_temperature_c", 1, 0), 31.0);
  EXPECT_EQ(Value(first, "npu_aicore_utilization_percent", 0, 0), 0.0);
  EXPECT_EQ(first[0].labels_json, R"({"chip":"0","npu":"0"})");

  fake.Switch("atlas800i_a2_910b4_busy.txt");
  std::vector<SampleRecord> second;
  collector.Sample(3 * kS, second);
  EXPECT_EQ(Value(second, "npu_power_watts", 0, 0), 250.5);
  EXPECT_EQ(Value(second, "npu_power_watts", 1, 0), 240.5);
  EXPECT_EQ(Value(second, "npu_aicore_utilization_percent", 1, 0), 55.0);
  const std::vector<SampleRecord> processes = Only(second, "npu_process_memory_bytes");
  ASSERT_EQ(processes.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(processes[0].labels_json),
            (nlohmann::json{{"npu", "0"}, {"chip", "0"}, {"pid", "3010"}, {"process", "python3"}}));
  EXPECT_EQ(processes[0].value, 26880.0 * kMiB);

  std::vector<SampleRecord> last;
  collector.Stop(4 * kS, last);
  ASSERT_EQ(last.size(), 12u);
  EXPECT_EQ(last[0].time_ns, 4 * kS);

  // Total power: 175 W at 1 s, 491 W at 3 s and 4 s.
  // Energy = 2 s x (175 + 491) / 2 + 1 s x 491 = 666 + 491 = 1157 J over 3 s.
  auto m = ByName(Summarize(collector, 0, 4 * kS));
  EXPECT_NEAR(m["npu_energy_j"].value, 1157.0, 1e-9);
  EXPECT_EQ(m["npu_energy_j"].unit, "J");
  EXPECT_NEAR(m["npu_power_mean_w"].value, 1157.0 / 3, 1e-9);
  EXPECT_EQ(m["npu_power_mean_w"].unit, "W");
  EXPECT_EQ(m["npu_memory_used_peak_bytes"].value, 29876.0 * kMiB);
  EXPECT_EQ(m["npu_memory_used_peak_bytes"].unit, "bytes");
  EXPECT_NEAR(m["npu_aicore_utilization_mean_percent"].value, (0 + 0 + 45 + 55 + 45 + 55) / 6.0,
              1e-9);
  EXPECT_EQ(m["npu_aicore_utilization_mean_percent"].unit, "%");
  EXPECT_EQ(m["npu_energy_j"].run_id, RunId{7});

  // Only the run's window counts: from 2 s the power starts at the interpolated 333 W.
  // Energy = 1 s x (333 + 491) / 2 + 1 s x 491 = 412 + 491 = 903 J over 2 s.
  m = ByName(Summarize(collector, 2 * kS, 4 * kS));
  EXPECT_NEAR(m["npu_energy_j"].value, 903.0, 1e-9);
  EXPECT_NEAR(m["npu_power_mean_w"].value, 451.5, 1e-9);
  // Up to 2 s: 1 s x (175 + 333) / 2 = 254 J.
  m = ByName(Summarize(collector, 0, 2 * kS));
  EXPECT_NEAR(m["npu_energy_j"].value, 254.0, 1e-9);
  EXPECT_EQ(m["npu_memory_used_peak_bytes"].value, 2951.0 * kMiB);  // the 1 s reading only

  const auto facts = FactMap(collector);
  EXPECT_EQ(facts.at("npu_source"), "npu-smi 24.1.1");
  EXPECT_EQ(facts.at("npu_devices"), "2 x 910B4");
  EXPECT_EQ(facts.at("npu_driver_version"), "24.1.1");
  EXPECT_EQ(facts.at("npu_smi"), fake.path());
  EXPECT_NE(facts.at("npu_dcmi_unavailable").find(kNoDcmi), std::string::npos);
  EXPECT_NE(facts.at("npu_energy_method").find("integrated"), std::string::npos);
  EXPECT_NE(facts.at("npu_energy_method").find("sampling interval"), std::string::npos);
  EXPECT_EQ(facts.count("npu_readings_not_supported"), 0u);
  EXPECT_EQ(facts.count("npu_read_failures"), 0u);
}

TEST(AscendCollector, BackgroundPollingHandsOverEachNewReadingOnce) {
  FakeNpuSmi fake;
  fake.Serve("atlas800i_a2_910b4_idle.txt");
  AscendCollector collector(NpuSmiOptions(fake, /*background=*/true));
  const std::int64_t start_ns = MonotonicNs();
  collector.Start({.run = RunId{7}, .start_ns = start_ns});

  std::vector<SampleRecord> samples;
  collector.Sample(MonotonicNs(), samples);  // the reading Start took
  ASSERT_FALSE(samples.empty());
  EXPECT_EQ(Value(samples, "npu_power_watts", 0, 0), 90.0);
  EXPECT_GE(samples[0].time_ns, start_ns);

  fake.Switch("atlas800i_a2_910b4_busy.txt");
  const std::int64_t deadline = MonotonicNs() + 20 * kS;
  std::int64_t slowest_sample_ns = 0;
  bool busy = false;
  while (!busy && MonotonicNs() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const std::size_t before = samples.size();
    const std::int64_t t0 = MonotonicNs();
    collector.Sample(t0, samples);
    slowest_sample_ns = std::max(slowest_sample_ns, MonotonicNs() - t0);
    for (std::size_t i = before; i < samples.size(); ++i) {
      busy = busy || (samples[i].metric == "npu_power_watts" && samples[i].value == 250.5);
    }
  }
  ASSERT_TRUE(busy) << "no busy reading within 20 s";
  EXPECT_LT(slowest_sample_ns, kS / 5);  // Sample only hands over what the thread read
  collector.Stop(MonotonicNs(), samples);
  const std::int64_t end_ns = MonotonicNs();

  // Each reading is handed over once: the power of chip (0,0) has strictly increasing times.
  std::map<std::int64_t, double> total_power;  // time -> sum over chips
  std::int64_t previous = 0;
  for (const SampleRecord& s : Only(samples, "npu_power_watts")) {
    total_power[s.time_ns] += s.value;
    if (HasLabels(s, 0, 0)) {
      EXPECT_GT(s.time_ns, previous);
      previous = s.time_ns;
    }
  }
  ASSERT_GE(total_power.size(), 2u);
  double expected = 0;
  for (auto it = std::next(total_power.begin()); it != total_power.end(); ++it) {
    const auto& [t1, p1] = *it;
    const auto& [t0, p0] = *std::prev(it);
    expected += (p0 + p1) / 2 * static_cast<double>(t1 - t0) * 1e-9;
  }
  auto m = ByName(Summarize(collector, start_ns, end_ns));
  EXPECT_NEAR(m["npu_energy_j"].value, expected, 1e-6);
  EXPECT_GT(m["npu_energy_j"].value, 0);
  EXPECT_EQ(FactMap(collector).count("npu_read_failures"), 0u);
}

TEST(AscendCollector, SlowNpuSmiBlocksNeitherSampleNorStop) {
  FakeNpuSmi fake;
  fake.Script("if [ -e '" + fake.file("slow") + "' ]; then sleep 30; fi\nexec cat '" +
              fake.file("current.txt") + "'\n");
  fake.Switch("atlas800i_a2_910b4_idle.txt");
  AscendCollector collector(NpuSmiOptions(fake, /*background=*/true));
  collector.Start({.run = RunId{7}, .start_ns = MonotonicNs()});
  std::ofstream(fake.file("slow")) << "";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the thread is now in sleep 30

  std::vector<SampleRecord> samples;
  std::int64_t t0 = MonotonicNs();
  collector.Sample(t0, samples);
  EXPECT_LT(MonotonicNs() - t0, kS / 5);
  t0 = MonotonicNs();
  collector.Stop(MonotonicNs(), samples);  // cancels the run in flight, kills its process group
  EXPECT_LT(MonotonicNs() - t0, 3 * kS);
  EXPECT_EQ(FactMap(collector).count("npu_read_failures"), 0u);  // cancelled is not failed
}

TEST(AscendCollector, NpuSmiTimeoutFailingAndGarbageAreUnavailable) {
  FakeNpuSmi fake;
  fake.Script("sleep 30\n");
  AscendCollectorOptions options = NpuSmiOptions(fake, false);
  options.npu_smi_timeout_ms = 300;
  {
    AscendCollector collector(options);
    const std::int64_t t0 = MonotonicNs();
    const std::string error = StartError(collector);
    EXPECT_LT(MonotonicNs() - t0, 5 * kS);
    EXPECT_TRUE(error.starts_with("unavailable: ")) << error;
    EXPECT_NE(error.find("did not finish within 300 ms"), std::string::npos) << error;
  }
  fake.Script(
      "echo 'dcmi model initialized failed, because the device is used. ret is -8020' >&2\n"
      "exit 1\n");
  {
    AscendCollector collector(options);
    const std::string error = StartError(collector);
    EXPECT_NE(error.find("exited with status 1: dcmi model initialized failed"), std::string::npos)
        << error;
  }
  fake.Serve("malformed_not_a_number.txt");
  {
    AscendCollector collector(options);
    const std::string error = StartError(collector);
    EXPECT_TRUE(error.starts_with("unavailable: ")) << error;
    EXPECT_NE(error.find(":10: field 'Temp(C)': expected a number or NA, found '3O'"),
              std::string::npos)
        << error;
  }
}

TEST(AscendCollector, NeitherDcmiNorNpuSmiIsACleanUnavailable) {
  const AscendCollectorOptions options{.dcmi_paths = {kNoDcmi},
                                       .npu_smi = "infermeter-no-such-npu-smi"};
  AscendCollector collector(options);
  const std::string error = StartError(collector);
  EXPECT_TRUE(error.starts_with("unavailable: no usable libdcmi.so (")) << error;
  EXPECT_NE(error.find(kNoDcmi), std::string::npos) << error;
  EXPECT_TRUE(error.ends_with(" and no infermeter-no-such-npu-smi on PATH")) << error;
  // A collector that could not start adds nothing and does not fail.
  std::vector<SampleRecord> samples;
  collector.Sample(1 * kS, samples);
  collector.Stop(2 * kS, samples);
  EXPECT_TRUE(samples.empty());
  EXPECT_TRUE(Summarize(collector, 0, 2 * kS).empty());

  std::string why;
  EXPECT_TRUE(DescribeAscendNpus(options, &why).empty());
  EXPECT_EQ(why, error);
  const AscendCollectorOptions by_path{.dcmi_paths = {kNoDcmi}, .npu_smi = "/nonexistent/npu-smi"};
  EXPECT_TRUE(DescribeAscendNpus(by_path, &why).empty());
  EXPECT_TRUE(why.ends_with(" and no executable /nonexistent/npu-smi")) << why;
}

TEST(AscendCollector, ReadingsNpuSmiLeavesEmptyAreNamedInFacts) {
  FakeNpuSmi fake;
  fake.Serve("atlas300i_duo_310p3.txt");
  AscendCollector p310(NpuSmiOptions(fake, false));
  p310.Start({.run = RunId{7}});
  EXPECT_EQ(FactMap(p310).at("npu_readings_not_supported"),
            "npu_power_watts: npu-smi shows no value (NA) for any chip");
  std::vector<SampleRecord> samples;
  p310.Sample(1 * kS, samples);
  EXPECT_TRUE(Only(samples, "npu_power_watts").empty());
  EXPECT_EQ(Value(samples, "npu_memory_used_bytes", 5, 1), 9644.0 * kMiB);  // DDR: no HBM
  EXPECT_EQ(Only(samples, "npu_process_memory_bytes").size(), 2u);
  p310.Stop(2 * kS, samples);
  const auto m = ByName(Summarize(p310, 0, 2 * kS));
  EXPECT_EQ(m.count("npu_energy_j"), 0u);
  EXPECT_EQ(m.count("npu_power_mean_w"), 0u);
  EXPECT_EQ(m.at("npu_memory_used_peak_bytes").value, 9871.0 * kMiB);

  fake.Switch("atlas_a3_ascend910.txt");
  AscendCollector a3(NpuSmiOptions(fake, false));
  a3.Start({.run = RunId{7}});
  EXPECT_EQ(FactMap(a3).at("npu_readings_not_supported"),
            "npu_power_watts: npu-smi shows it for 2 of 4 chips");
  EXPECT_EQ(FactMap(a3).at("npu_devices"), "4 x Ascend910");
}

TEST(RunNpuSmiInfo, PassesInfoAndCanBeCancelled) {
  FakeNpuSmi fake;
  fake.Script("echo \"args: $*\"\n");
  EXPECT_EQ(RunNpuSmiInfo(fake.path(), std::chrono::seconds(5)), "args: info\n");

  fake.Script("sleep 30\n");
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel = true;
  });
  const std::int64_t t0 = MonotonicNs();
  try {
    RunNpuSmiInfo(fake.path(), std::chrono::seconds(20), &cancel);
    ADD_FAILURE() << "not cancelled";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("was cancelled"), std::string::npos) << e.what();
  }
  canceller.join();
  EXPECT_LT(MonotonicNs() - t0, 5 * kS);
  EXPECT_THROW(RunNpuSmiInfo("/nonexistent/npu-smi", std::chrono::seconds(1)), Error);
}

// ---------------------------------------------------------------------------------------------
// DCMI

TEST(DcmiLibrary, AbsentLibraryIsUnavailable) {
  std::string why;
  EXPECT_FALSE(DcmiLibrary::Load({kNoDcmi}, &why));
  EXPECT_TRUE(why.starts_with("unavailable: no usable libdcmi.so (")) << why;
  EXPECT_NE(why.find(kNoDcmi), std::string::npos) << why;
  try {
    DcmiSession::Open({kNoDcmi});
    ADD_FAILURE() << "opened";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), why);
  }
  EXPECT_EQ(
      DefaultDcmiPaths(),
      (std::vector<std::string>{"/usr/local/dcmi/libdcmi.so",
                                "/usr/local/Ascend/driver/lib64/driver/libdcmi.so", "libdcmi.so"}));
}

TEST(DcmiLibrary, OtherLibraryNamesTheMissingSymbol) {
  std::string why;
  EXPECT_FALSE(DcmiLibrary::Load({kNoDcmi, "libm.so.6"}, &why));
  EXPECT_NE(why.find(kNoDcmi), std::string::npos) << why;  // every path tried is named
  EXPECT_NE(why.find("libm.so.6 does not export dcmi_init, dcmi_get_card_list"), std::string::npos)
      << why;
}

// Steers the fake library (the same handle the collector opens: dlopen shares it).
class FakeDcmi {
 public:
  FakeDcmi() {
    std::string error;
    library_ = DynamicLibrary::Open(kFakeDcmi, &error);
    EXPECT_TRUE(library_.loaded()) << error;
    set_power_ = library_.Function<void (*)(int)>("fake_dcmi_set_power");
    set_supported_ = library_.Function<void (*)(int)>("fake_dcmi_set_power_supported");
    Power(931);
    PowerSupported(true);
  }
  ~FakeDcmi() {
    Power(931);
    PowerSupported(true);
  }
  void Power(int deciwatts) const { set_power_(deciwatts); }
  void PowerSupported(bool supported) const { set_supported_(supported ? 1 : 0); }

 private:
  DynamicLibrary library_;
  void (*set_power_)(int) = nullptr;
  void (*set_supported_)(int) = nullptr;
};

std::string OwnProcessName() {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

TEST(DcmiSession, ListsChipsAndReadsThemInDocumentedUnits) {
  const FakeDcmi fake;
  std::string why;
  const std::optional<DcmiLibrary> library = DcmiLibrary::Load({kFakeDcmi}, &why);
  ASSERT_TRUE(library) << why;
  EXPECT_EQ(library->missing(), (std::vector<std::string>{"dcmi_get_dcmi_version"}));

  const DcmiSession session = DcmiSession::Open({kNoDcmi, kFakeDcmi});  // falls through
  EXPECT_EQ(session.path(), kFakeDcmi);
  ASSERT_EQ(session.chips().size(), 2u);
  EXPECT_EQ(session.chips()[0].card_id, 3);
  EXPECT_EQ(session.chips()[0].name, "910B3");
  EXPECT_TRUE(session.chips()[0].hbm);
  EXPECT_EQ(session.chips()[1].card_id, 5);
  EXPECT_EQ(session.chips()[1].name, "310P3");
  EXPECT_FALSE(session.chips()[1].hbm);
  EXPECT_EQ(session.driver_version(), "24.1.rc2");
  EXPECT_EQ(session.dcmi_version(), "");
  EXPECT_TRUE(session.unsupported().empty());

  const NpuReading reading = session.Read(123);
  EXPECT_EQ(reading.time_ns, 123);
  ASSERT_EQ(reading.chips.size(), 2u);
  const NpuChipReading& b3 = reading.chips[0];
  EXPECT_EQ(b3.power_w, 93.1);  // 931 tenths of a watt
  EXPECT_EQ(b3.temperature_c, 37.0);
  EXPECT_EQ(b3.aicore_percent, 45.0);
  EXPECT_EQ(b3.memory_used_bytes, 3384 * kMiB);
  EXPECT_EQ(b3.memory_total_bytes, 65536 * kMiB);
  EXPECT_TRUE(b3.memory_is_hbm);
  const NpuChipReading& p3 = reading.chips[1];
  EXPECT_FALSE(p3.power_w);  // the fake answers "not supported" for the 310P
  EXPECT_EQ(p3.aicore_percent, 12.0);
  EXPECT_EQ(p3.memory_used_bytes, (44280 - 42751) * kMiB);  // DDR: size minus available
  EXPECT_EQ(p3.memory_total_bytes, 44280 * kMiB);
  EXPECT_FALSE(p3.memory_is_hbm);
  ASSERT_EQ(reading.processes.size(), 1u);
  EXPECT_EQ(reading.processes[0].npu_id, 3);
  EXPECT_EQ(reading.processes[0].pid, ::getpid());
  EXPECT_EQ(reading.processes[0].name, OwnProcessName());
  EXPECT_EQ(reading.processes[0].memory_bytes, std::int64_t{1} << 30);
}

TEST(AscendCollector, DcmiSamplesAndEnergyWorkedOutByHand) {
  const FakeDcmi fake;
  AscendCollector collector({.dcmi_paths = {kFakeDcmi},
                             .npu_smi = "infermeter-no-such-npu-smi",
                             .background_polling = false});
  collector.Start({.run = RunId{7}, .start_ns = 0});
  std::vector<SampleRecord> samples;
  collector.Sample(1 * kS, samples);
  EXPECT_EQ(Value(samples, "npu_power_watts", 3, 0), 93.1);
  EXPECT_EQ(Only(samples, "npu_power_watts").size(), 1u);  // none for the 310P
  EXPECT_EQ(Value(samples, "npu_temperature_c", 5, 0), 45.0);
  EXPECT_EQ(Value(samples, "npu_memory_used_bytes", 5, 0), 1529.0 * kMiB);
  const auto processes = Only(samples, "npu_process_memory_bytes");
  ASSERT_EQ(processes.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(processes[0].labels_json)["pid"], std::to_string(::getpid()));

  fake.Power(1000);  // 100.0 W from here on
  collector.Sample(2 * kS, samples);
  collector.Stop(3 * kS, samples);
  // 1 s x (93.1 + 100) / 2 + 1 s x 100 = 96.55 + 100 = 196.55 J over 2 s.
  const auto m = ByName(Summarize(collector, 0, 3 * kS));
  EXPECT_NEAR(m.at("npu_energy_j").value, 196.55, 1e-9);
  EXPECT_NEAR(m.at("npu_power_mean_w").value, 98.275, 1e-9);
  EXPECT_EQ(m.at("npu_memory_used_peak_bytes").value, 3384.0 * kMiB);
  EXPECT_NEAR(m.at("npu_aicore_utilization_mean_percent").value, (45 + 12) / 2.0, 1e-9);

  const auto facts = FactMap(collector);
  EXPECT_EQ(facts.at("npu_source"), "dcmi");
  EXPECT_EQ(facts.at("npu_dcmi_library"), kFakeDcmi);
  EXPECT_EQ(facts.at("npu_devices"), "1 x 910B3, 1 x 310P3");
  EXPECT_EQ(facts.at("npu_driver_version"), "24.1.rc2");
  EXPECT_EQ(facts.count("npu_readings_not_supported"), 0u);
}

TEST(AscendCollector, DcmiReadingThatFailsIsDisabledAndNamed) {
  const FakeDcmi fake;
  fake.PowerSupported(false);
  AscendCollector collector({.dcmi_paths = {kFakeDcmi},
                             .npu_smi = "infermeter-no-such-npu-smi",
                             .background_polling = false});
  collector.Start({.run = RunId{7}, .start_ns = 0});
  EXPECT_EQ(FactMap(collector).at("npu_readings_not_supported"),
            "npu_power_watts: dcmi_get_device_power_info returned -8255 (not supported)");
  std::vector<SampleRecord> samples;
  collector.Sample(1 * kS, samples);
  collector.Stop(2 * kS, samples);
  EXPECT_TRUE(Only(samples, "npu_power_watts").empty());
  EXPECT_FALSE(Only(samples, "npu_temperature_c").empty());
  const auto m = ByName(Summarize(collector, 0, 2 * kS));
  EXPECT_EQ(m.count("npu_energy_j"), 0u);
  EXPECT_EQ(m.count("npu_power_mean_w"), 0u);
}

TEST(DescribeAscendNpus, FromDcmiAndFromNpuSmi) {
  const FakeDcmi fake_dcmi;
  std::string why;
  auto npus = DescribeAscendNpus({.dcmi_paths = {kFakeDcmi}}, &why);
  ASSERT_EQ(npus.size(), 2u) << why;
  EXPECT_EQ(npus[0].npu_id, 3);
  EXPECT_EQ(npus[0].name, "910B3");
  EXPECT_EQ(npus[0].memory_total_bytes, 65536 * kMiB);
  EXPECT_EQ(npus[1].memory_total_bytes, 44280 * kMiB);
  EXPECT_EQ(npus[1].driver_version, "24.1.rc2");
  EXPECT_EQ(npus[1].source, "dcmi");

  FakeNpuSmi fake;
  fake.Serve("atlas800t_a2_910b3.txt");
  npus = DescribeAscendNpus({.dcmi_paths = {kNoDcmi}, .npu_smi = fake.path()}, &why);
  ASSERT_EQ(npus.size(), 8u) << why;
  for (int i = 0; i < 8; ++i) {
    const NpuDescription& npu = npus[static_cast<std::size_t>(i)];
    EXPECT_EQ(npu.npu_id, i);
    EXPECT_EQ(npu.chip_id, 0);
    EXPECT_EQ(npu.name, "910B3");
    EXPECT_EQ(npu.memory_total_bytes, 65536 * kMiB);
    EXPECT_EQ(npu.driver_version, "23.0.6");
    EXPECT_EQ(npu.source, "npu-smi 23.0.6");
  }
}

}  // namespace
}  // namespace infermeter::collectors
