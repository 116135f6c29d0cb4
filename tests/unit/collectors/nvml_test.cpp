// The NVML collector without a GPU: the loader on this machine (no libnvidia-ml) and on a real
// library that is not NVML, then the whole collector through dlopen of a test-only fake NVML
// (fake_nvml.cpp: two GPUs, the second without power reading or energy counter) for units,
// labels, energy deltas, the power-integral fallback and NOT_SUPPORTED handling.
#include "infermeter/collectors/nvml_collector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "infermeter/core/dynamic_library.h"
#include "infermeter/core/error.h"
#include "nvml_library.h"

namespace infermeter::collectors {
namespace {

using namespace nvml;
constexpr std::int64_t kSecond = 1'000'000'000;
constexpr double kGiB = 1024.0 * 1024 * 1024;

// Whether this machine has NVML after all (a GPU CI runner): the "missing library" tests then
// have nothing to test.
bool MachineHasNvml() {
  std::string error;
  return DynamicLibrary::Open(kNvmlLibraryName, &error).loaded();
}

std::string Fact(const std::vector<std::pair<std::string, std::string>>& facts,
                 const std::string& key) {
  for (const auto& [k, v] : facts) {
    if (k == key) return v;
  }
  return "";
}

std::optional<results::RunMetric> Metric(const std::vector<results::RunMetric>& metrics,
                                         const std::string& name) {
  for (const auto& m : metrics) {
    if (m.name == name) return m;
  }
  return std::nullopt;
}

std::vector<double> Values(const std::vector<results::SampleRecord>& samples,
                           const std::string& metric, const std::string& labels) {
  std::vector<double> values;
  for (const auto& s : samples) {
    if (s.metric == metric && s.labels_json == labels) values.push_back(s.value);
  }
  return values;
}

std::size_t Count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1)) ++n;
  return n;
}

// --- without NVML -------------------------------------------------------------------------------

TEST(NvmlLoader, MissingLibraryIsUnavailableWithTheLoadersReason) {
  if (MachineHasNvml()) GTEST_SKIP() << "this machine has libnvidia-ml.so.1";
  const NvmlLibrary library(kNvmlLibraryName);
  EXPECT_FALSE(library.available());
  EXPECT_EQ(library.device_count(), 0u);
  const std::string& reason = library.unavailable_reason();
  EXPECT_EQ(reason.rfind("unavailable: ", 0), 0u) << reason;
  EXPECT_NE(reason.find("libnvidia-ml.so.1"), std::string::npos) << reason;
  // Readings on an unavailable library are failures, not crashes.
  EXPECT_EQ(library.Memory(0).status, NVML_ERROR_FUNCTION_NOT_FOUND);
}

TEST(NvmlLoader, StartThrowsErrorNamingTheLibrary) {
  if (MachineHasNvml()) GTEST_SKIP() << "this machine has libnvidia-ml.so.1";
  NvmlCollector collector;
  try {
    collector.Start({.run = RunId(1)});
    FAIL() << "Start did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("libnvidia-ml"), std::string::npos) << e.what();
  }
  // A collector that did not start samples, summarizes and states nothing.
  std::vector<results::SampleRecord> samples;
  collector.Sample(1, samples);
  std::vector<results::RunMetric> metrics;
  collector.Summarize({.run = RunId(1)}, metrics, samples);
  EXPECT_TRUE(samples.empty());
  EXPECT_TRUE(metrics.empty());
  EXPECT_TRUE(collector.Facts().empty());
}

TEST(NvmlLoader, DescribeReturnsNothingAndWhy) {
  if (MachineHasNvml()) GTEST_SKIP() << "this machine has libnvidia-ml.so.1";
  std::string why;
  EXPECT_TRUE(DescribeNvidiaGpus(&why).empty());
  EXPECT_NE(why.find("libnvidia-ml.so.1"), std::string::npos) << why;
  EXPECT_TRUE(DescribeNvidiaGpus(nullptr).empty());
}

TEST(NvmlLoader, MissingFileIsUnavailableOnAnyMachine) {
  NvmlCollector collector({.library_path = "/nonexistent/libnvidia-ml.so.1"});
  try {
    collector.Start({.run = RunId(1)});
    FAIL() << "Start did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unavailable: /nonexistent/libnvidia-ml.so.1"),
              std::string::npos)
        << e.what();
  }
}

TEST(NvmlLoader, ALibraryThatIsNotNvmlNamesTheMissingSymbol) {
  // libm loads, but exports no NVML function: the first required one is named.
  const NvmlLibrary library("libm.so.6");
  EXPECT_FALSE(library.available());
  EXPECT_NE(library.unavailable_reason().find("unavailable: "), std::string::npos);
  EXPECT_NE(library.unavailable_reason().find("nvmlInit_v2"), std::string::npos)
      << library.unavailable_reason();
  std::string why;
  EXPECT_TRUE(DescribeNvidiaGpus(&why, "libm.so.6").empty());
  EXPECT_NE(why.find("nvmlInit_v2"), std::string::npos) << why;
}

// --- through the fake NVML ----------------------------------------------------------------------

class FakeNvml : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    // The same file the collector opens: dlopen hands both the same instance, so the controls
    // below act on what the collector reads.
    controls_ = DynamicLibrary::Open(INFERMETER_FAKE_NVML, &error);
    ASSERT_TRUE(controls_.loaded()) << error;
    controls_.Function<void (*)()>("fake_nvml_reset")();
    set_power = controls_.Function<void (*)(unsigned, unsigned, int)>("fake_nvml_set_power");
    set_energy =
        controls_.Function<void (*)(unsigned, unsigned long long, int)>("fake_nvml_set_energy");
    set_memory_used =
        controls_.Function<void (*)(unsigned, unsigned long long)>("fake_nvml_set_memory_used");
    add_process = controls_.Function<void (*)(unsigned, unsigned, unsigned long long)>(
        "fake_nvml_add_process");
    set_init_status = controls_.Function<void (*)(int)>("fake_nvml_set_init_status");
    active_inits = controls_.Function<int (*)()>("fake_nvml_active_inits");
    ASSERT_TRUE(set_power && set_energy && set_memory_used && add_process && set_init_status &&
                active_inits);
  }

  NvmlCollectorOptions Options() const { return {.library_path = INFERMETER_FAKE_NVML}; }

  DynamicLibrary controls_;
  void (*set_power)(unsigned, unsigned, int) = nullptr;
  void (*set_energy)(unsigned, unsigned long long, int) = nullptr;
  void (*set_memory_used)(unsigned, unsigned long long) = nullptr;
  void (*add_process)(unsigned, unsigned, unsigned long long) = nullptr;
  void (*set_init_status)(int) = nullptr;
  int (*active_inits)() = nullptr;
};

TEST_F(FakeNvml, LibraryReadings) {
  const NvmlLibrary library(INFERMETER_FAKE_NVML);
  ASSERT_TRUE(library.available()) << library.unavailable_reason();
  EXPECT_TRUE(library.missing_functions().empty());
  ASSERT_EQ(library.device_count(), 2u);
  EXPECT_EQ(library.DriverVersion(), "999.1.2");
  EXPECT_EQ(library.NvmlVersion(), "13.999.1.2");
  EXPECT_EQ(library.Name(0).value, "Fake H100 80GB HBM3");
  EXPECT_EQ(library.Uuid(1).value, "GPU-fa4e0001-0000-0000-0000-000000000000");
  // The fake refuses a memory struct without version 0x02000028, as NVML does.
  const auto memory = library.Memory(0);
  ASSERT_TRUE(memory.ok()) << library.ErrorText(memory.status);
  EXPECT_EQ(memory.value.used, 10ull << 30);
  EXPECT_EQ(memory.value.total, 80ull << 30);
  EXPECT_EQ(library.PowerMilliwatts(1).status, NVML_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(library.ErrorText(NVML_ERROR_NOT_SUPPORTED), "Not Supported (NVML error 3)");
  EXPECT_EQ(library.Memory(2).status, NVML_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(library.ComputeCapability(0).value, std::make_pair(9, 0));
  // More processes than a first guess holds: the count-then-fetch path.
  for (unsigned pid = 100; pid < 120; ++pid) add_process(0, pid, 1 << 20);
  const auto processes = library.ComputeProcesses(0);
  ASSERT_TRUE(processes.ok());
  EXPECT_EQ(processes.value.size(), 20u);
  EXPECT_EQ(processes.value[19].pid, 119u);
  EXPECT_TRUE(library.ComputeProcesses(1).ok());
  EXPECT_TRUE(library.ComputeProcesses(1).value.empty());
}

TEST_F(FakeNvml, InitFailureIsUnavailableWithNvmlsText) {
  set_init_status(NVML_ERROR_DRIVER_NOT_LOADED);
  NvmlCollector collector(Options());
  try {
    collector.Start({.run = RunId(1)});
    FAIL() << "Start did not throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unavailable: nvmlInit_v2 failed: Driver Not Loaded (NVML error 9)");
  }
  EXPECT_EQ(active_inits(), 0);
}

TEST_F(FakeNvml, ShutsNvmlDownWhenDestroyed) {
  {
    NvmlCollector collector(Options());
    collector.Start({.run = RunId(1)});
    EXPECT_EQ(active_inits(), 1);
    EXPECT_EQ(DescribeNvidiaGpus(nullptr, INFERMETER_FAKE_NVML).size(), 2u);
    EXPECT_EQ(active_inits(), 1);        // the description shut its own init down
    collector.Start({.run = RunId(2)});  // a second Start replaces the first session
    EXPECT_EQ(active_inits(), 1);
  }
  EXPECT_EQ(active_inits(), 0);
}

TEST_F(FakeNvml, SamplesWithUnitsLabelsAndEnergySinceStart) {
  const auto me = static_cast<unsigned>(getpid());
  add_process(0, me, 2ull << 30);  // two contexts of this process on GPU 0: added up
  add_process(0, me, 1ull << 30);
  add_process(0, 4242, 5ull << 30);  // the extra pid (a local server)
  add_process(0, 999, 7ull << 30);   // someone else's: not recorded
  add_process(1, me, 512ull << 20);
  set_energy(0, 1'000'000, NVML_SUCCESS);  // mJ since driver load, before the run

  NvmlCollector collector({.library_path = INFERMETER_FAKE_NVML, .extra_pids = {4242}});
  EXPECT_EQ(collector.Name(), "nvml");
  collector.Start({.run = RunId(9)});
  std::vector<results::SampleRecord> samples;
  const std::int64_t t0 = 5 * kSecond;
  set_energy(0, 1'005'000, NVML_SUCCESS);
  set_power(0, 200'000, NVML_SUCCESS);
  collector.Sample(t0, samples);
  set_energy(0, 1'012'500, NVML_SUCCESS);
  set_power(0, 300'000, NVML_SUCCESS);
  set_memory_used(1, 30ull << 30);
  collector.Sample(t0 + kSecond, samples);
  set_energy(0, 1'020'000, NVML_SUCCESS);
  set_power(0, 250'000, NVML_SUCCESS);
  set_memory_used(1, 25ull << 30);
  collector.Stop(t0 + 2 * kSecond, samples);

  const std::string gpu0 = R"({"gpu":"0"})";
  const std::string gpu1 = R"({"gpu":"1"})";
  EXPECT_EQ(Values(samples, "gpu_energy_j", gpu0), (std::vector<double>{5.0, 12.5, 20.0}));
  EXPECT_TRUE(Values(samples, "gpu_energy_j", gpu1).empty());
  EXPECT_EQ(Values(samples, "gpu_power_watts", gpu0), (std::vector<double>{200, 300, 250}));
  EXPECT_TRUE(Values(samples, "gpu_power_watts", gpu1).empty());
  EXPECT_EQ(Values(samples, "gpu_memory_used_bytes", gpu0), (std::vector<double>(3, 10 * kGiB)));
  EXPECT_EQ(Values(samples, "gpu_memory_used_bytes", gpu1),
            (std::vector<double>{20 * kGiB, 30 * kGiB, 25 * kGiB}));
  EXPECT_EQ(Values(samples, "gpu_memory_total_bytes", gpu1), (std::vector<double>(3, 80 * kGiB)));
  EXPECT_EQ(Values(samples, "gpu_utilization_percent", gpu0), (std::vector<double>(3, 75)));
  EXPECT_EQ(Values(samples, "gpu_memory_utilization_percent", gpu1), (std::vector<double>(3, 10)));
  EXPECT_EQ(Values(samples, "gpu_sm_clock_mhz", gpu1), (std::vector<double>(3, 1755)));
  EXPECT_EQ(Values(samples, "gpu_memory_clock_mhz", gpu0), (std::vector<double>(3, 2619)));
  EXPECT_EQ(Values(samples, "gpu_temperature_c", gpu0), (std::vector<double>(3, 55)));
  const std::string mine0 = R"({"gpu":"0","pid":")" + std::to_string(me) + R"("})";
  const std::string mine1 = R"({"gpu":"1","pid":")" + std::to_string(me) + R"("})";
  EXPECT_EQ(Values(samples, "gpu_process_memory_bytes", mine0), (std::vector<double>(3, 3 * kGiB)));
  EXPECT_EQ(Values(samples, "gpu_process_memory_bytes", R"({"gpu":"0","pid":"4242"})"),
            (std::vector<double>(3, 5 * kGiB)));
  EXPECT_TRUE(Values(samples, "gpu_process_memory_bytes", R"({"gpu":"0","pid":"999"})").empty());
  EXPECT_EQ(Values(samples, "gpu_process_memory_bytes", mine1),
            (std::vector<double>(3, 0.5 * kGiB)));
  for (const auto& s : samples) {
    EXPECT_EQ(s.source, "nvml");
    EXPECT_EQ(s.run_id, RunId(9));
    EXPECT_TRUE(s.time_ns == t0 || s.time_ns == t0 + kSecond || s.time_ns == t0 + 2 * kSecond);
  }

  std::vector<results::RunMetric> metrics;
  collector.Summarize({.run = RunId(9)}, metrics, samples);
  // GPU 0's counter rose 20 J; GPU 1 has neither counter nor power, so it adds nothing.
  ASSERT_TRUE(Metric(metrics, "gpu_energy_j"));
  EXPECT_DOUBLE_EQ(Metric(metrics, "gpu_energy_j")->value, 20.0);
  EXPECT_EQ(Metric(metrics, "gpu_energy_j")->unit, "J");
  EXPECT_DOUBLE_EQ(Metric(metrics, "gpu_power_mean_w")->value, 250.0);
  EXPECT_EQ(Metric(metrics, "gpu_power_mean_w")->unit, "W");
  EXPECT_DOUBLE_EQ(Metric(metrics, "gpu_memory_used_peak_bytes")->value, 30 * kGiB);
  EXPECT_EQ(Metric(metrics, "gpu_memory_used_peak_bytes")->unit, "bytes");
  EXPECT_DOUBLE_EQ(Metric(metrics, "gpu_utilization_mean_percent")->value, 50.0);
  EXPECT_EQ(Metric(metrics, "gpu_utilization_mean_percent")->unit, "%");

  const auto facts = collector.Facts();
  EXPECT_EQ(Fact(facts, "driver_version"), "999.1.2");
  EXPECT_EQ(Fact(facts, "nvml_version"), "13.999.1.2");
  EXPECT_NE(Fact(facts, "gpus").find("1: Fake H100 80GB HBM3 (GPU-fa4e0001"), std::string::npos)
      << Fact(facts, "gpus");
  const std::string energy = Fact(facts, "energy_source");
  EXPECT_NE(energy.find("gpu 0: energy counter"), std::string::npos) << energy;
  EXPECT_NE(energy.find("gpu 1: none"), std::string::npos) << energy;
  // Three samples, but each unsupported reading is noted once.
  const std::string unsupported = Fact(facts, "unsupported");
  EXPECT_EQ(Count(unsupported, "gpu 1: power (nvmlDeviceGetPowerUsage): Not Supported"), 1u)
      << unsupported;
  EXPECT_EQ(Count(unsupported, "gpu 1: energy counter"), 1u) << unsupported;
  EXPECT_EQ(Count(unsupported, "gpu 0"), 0u) << unsupported;
  EXPECT_NE(Fact(facts, "process_memory_pids").find("4242"), std::string::npos);
  EXPECT_EQ(Fact(facts, "read_failures"), "");
}

TEST_F(FakeNvml, WithoutAnEnergyCounterPowerIsIntegrated) {
  set_energy(0, 0, NVML_ERROR_NOT_SUPPORTED);
  NvmlCollector collector(Options());
  collector.Start({.run = RunId(1)});
  std::vector<results::SampleRecord> samples;
  set_power(0, 200'000, NVML_SUCCESS);
  collector.Sample(10 * kSecond, samples);
  set_power(0, 300'000, NVML_SUCCESS);
  collector.Sample(12 * kSecond, samples);
  EXPECT_TRUE(Values(samples, "gpu_energy_j", R"({"gpu":"0"})").empty());
  std::vector<results::RunMetric> metrics;
  collector.Summarize({.run = RunId(1)}, metrics, samples);
  // (200 W + 300 W) / 2 over 2 s.
  ASSERT_TRUE(Metric(metrics, "gpu_energy_j"));
  EXPECT_DOUBLE_EQ(Metric(metrics, "gpu_energy_j")->value, 500.0);
  const std::string energy = Fact(collector.Facts(), "energy_source");
  EXPECT_NE(energy.find("gpu 0: trapezoidal integral of power samples"), std::string::npos)
      << energy;
}

TEST_F(FakeNvml, APassingFailureSkipsOneReadingOnly) {
  NvmlCollector collector(Options());
  collector.Start({.run = RunId(1)});
  std::vector<results::SampleRecord> samples;
  set_power(0, 0, NVML_ERROR_GPU_IS_LOST);
  collector.Sample(1 * kSecond, samples);
  collector.Sample(2 * kSecond, samples);
  set_power(0, 100'000, NVML_SUCCESS);
  collector.Sample(3 * kSecond, samples);
  // Not switched off: the reading came back.
  EXPECT_EQ(Values(samples, "gpu_power_watts", R"({"gpu":"0"})"), std::vector<double>{100});
  const std::string failures = Fact(collector.Facts(), "read_failures");
  EXPECT_NE(failures.find("2 readings failed"), std::string::npos) << failures;
  EXPECT_EQ(Count(failures, "gpu 0: power (nvmlDeviceGetPowerUsage): GPU is lost"), 1u) << failures;
}

TEST_F(FakeNvml, DescribesTheGpus) {
  std::string why = "stale";
  const auto gpus = DescribeNvidiaGpus(&why, INFERMETER_FAKE_NVML);
  EXPECT_EQ(why, "");
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[1].index, 1u);
  EXPECT_EQ(gpus[0].name, "Fake H100 80GB HBM3");
  EXPECT_EQ(gpus[0].uuid, "GPU-fa4e0000-0000-0000-0000-000000000000");
  EXPECT_EQ(gpus[0].memory_total_bytes, 80ll << 30);
  EXPECT_EQ(gpus[0].driver_version, "999.1.2");
  EXPECT_EQ(gpus[0].compute_capability, "9.0");
}

// The same fake, exporting only the functions the collector cannot do without.
TEST(FakeNvmlMinimal, MissingOptionalFunctionsOnlySwitchReadingsOff) {
  NvmlCollector collector({.library_path = INFERMETER_FAKE_NVML_MINIMAL});
  collector.Start({.run = RunId(1)});
  std::vector<results::SampleRecord> samples;
  collector.Sample(1 * kSecond, samples);
  collector.Sample(2 * kSecond, samples);
  EXPECT_TRUE(samples.empty());
  std::vector<results::RunMetric> metrics;
  collector.Summarize({.run = RunId(1)}, metrics, samples);
  EXPECT_TRUE(metrics.empty());
  const auto facts = collector.Facts();
  EXPECT_NE(Fact(facts, "missing_functions").find("nvmlDeviceGetMemoryInfo_v2"), std::string::npos);
  EXPECT_EQ(Fact(facts, "driver_version"), "unknown");
  EXPECT_NE(Fact(facts, "energy_source").find("gpu 0: none"), std::string::npos);

  std::string why;
  const auto gpus = DescribeNvidiaGpus(&why, INFERMETER_FAKE_NVML_MINIMAL);
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].name, "");
  EXPECT_EQ(gpus[0].compute_capability, "");
}

}  // namespace
}  // namespace infermeter::collectors
