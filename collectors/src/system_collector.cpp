#include "infermeter/collectors/system_collector.h"

#include <unistd.h>

#include <algorithm>
#include <exception>

#include <fmt/format.h>

#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "proc_files.h"

namespace infermeter::collectors {
namespace {

constexpr std::int64_t kMinCpuWindowNs = 100'000'000;  // 10 ticks at 100 Hz: 10 % resolution

}  // namespace

SystemCollector::SystemCollector(ProcPaths paths) : paths_(std::move(paths)) {}

void SystemCollector::Start(const harness::CollectorContext& context) {
  context_ = context;
  const long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) throw Error("sysconf(_SC_CLK_TCK) gives no clock-tick rate");
  ticks_per_s_ = static_cast<double>(ticks);
  // Read everything once so a host without these files says so now, not silently per sample.
  const ProcStat stat = ParseProcStat(ReadProcFile(paths_.stat), paths_.stat);
  const ProcStatus status = ParseProcStatus(ReadProcFile(paths_.status), paths_.status);
  const MemInfo memory = ParseMemInfo(ReadProcFile(paths_.meminfo), paths_.meminfo);
  start_ns_ = prev_ns_ = end_ns_ = MonotonicNs();
  start_ticks_ = prev_ticks_ = end_ticks_ = stat.cpu_ticks();
  rss_peak_bytes_ = status.rss_peak_bytes;
  memory_total_bytes_ = memory.total_bytes;
  failed_reads_ = 0;
  first_failure_.clear();
}

void SystemCollector::Add(std::vector<results::SampleRecord>& out, std::int64_t now_ns,
                          const char* metric, double value) const {
  out.push_back({.run_id = context_.run,
                 .time_ns = now_ns,
                 .source = std::string(Name()),
                 .metric = metric,
                 .labels_json = "{}",
                 .value = value});
}

void SystemCollector::NoteFailure(const char* what) noexcept {
  ++failed_reads_;
  try {
    if (first_failure_.empty()) first_failure_ = what;
  } catch (...) {  // out of memory while noting: the count still says something went wrong
  }
}

void SystemCollector::Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) {
  // Each file on its own, so one that fails does not cost the others' readings.
  try {
    const ProcStat stat = ParseProcStat(ReadProcFile(paths_.stat), paths_.stat);
    const std::int64_t ticks = stat.cpu_ticks();
    if (ticks >= end_ticks_ && now_ns >= end_ns_) {
      end_ticks_ = ticks;
      end_ns_ = now_ns;
    }
    // CPU time comes in clock ticks (10 ms at 100 Hz): over a shorter window than
    // kMinCpuWindowNs the percentage would be mostly rounding, so such a window (the first
    // sample right after Start, a Stop right after a sample) is merged into the next one.
    if (end_ns_ - prev_ns_ >= kMinCpuWindowNs) {
      const double cpu_s = static_cast<double>(end_ticks_ - prev_ticks_) / ticks_per_s_;
      const double wall_s = static_cast<double>(end_ns_ - prev_ns_) * 1e-9;
      Add(out, now_ns, "process_cpu_percent", cpu_s / wall_s * 100.0);
      prev_ticks_ = end_ticks_;
      prev_ns_ = end_ns_;
    }
  } catch (const std::exception& e) {
    NoteFailure(e.what());
  }
  try {
    const ProcStatus status = ParseProcStatus(ReadProcFile(paths_.status), paths_.status);
    rss_peak_bytes_ = std::max(rss_peak_bytes_, status.rss_peak_bytes);
    Add(out, now_ns, "process_rss_bytes", static_cast<double>(status.rss_bytes));
  } catch (const std::exception& e) {
    NoteFailure(e.what());
  }
  try {
    const MemInfo memory = ParseMemInfo(ReadProcFile(paths_.meminfo), paths_.meminfo);
    memory_total_bytes_ = memory.total_bytes;
    Add(out, now_ns, "host_memory_used_bytes", static_cast<double>(memory.used_bytes()));
    Add(out, now_ns, "host_memory_total_bytes", static_cast<double>(memory.total_bytes));
  } catch (const std::exception& e) {
    NoteFailure(e.what());
  }
}

void SystemCollector::Summarize(const harness::CollectorSummaryInput& input,
                                std::vector<results::RunMetric>& metrics,
                                std::vector<results::SampleRecord>&) {
  const auto add = [&](const char* name, double value, const char* unit) {
    metrics.push_back({.run_id = input.run, .name = name, .value = value, .unit = unit});
  };
  // CPU time between Start and the last sample (Stop takes one), over the same wall time.
  const double cpu_s = static_cast<double>(end_ticks_ - start_ticks_) / ticks_per_s_;
  add("process_cpu_s", cpu_s, "s");
  if (end_ns_ > start_ns_) {
    const double wall_s = static_cast<double>(end_ns_ - start_ns_) * 1e-9;
    add("process_cpu_percent_mean", cpu_s / wall_s * 100.0, "%");
  }
  add("process_rss_peak_bytes", static_cast<double>(rss_peak_bytes_), "bytes");
  add("host_memory_total_bytes", static_cast<double>(memory_total_bytes_), "bytes");
}

std::vector<std::pair<std::string, std::string>> SystemCollector::Facts() const {
  std::vector<std::pair<std::string, std::string>> facts = {
      {"process", fmt::format("pid {}: this process only; an engine running as another process "
                              "is not counted",
                              getpid())},
      {"cpu_time_source", fmt::format("utime + stime of {} in clock ticks ({} per second)",
                                      paths_.stat, ticks_per_s_)},
      {"rss_peak_source",
       fmt::format("VmHWM of {}: the peak since the process started, not since the run started",
                   paths_.status)},
      {"host_memory_source", fmt::format("MemTotal - MemAvailable of {}", paths_.meminfo)}};
  if (failed_reads_ > 0) {
    facts.emplace_back("read_failures", fmt::format("{} readings skipped; first: {}", failed_reads_,
                                                    first_failure_));
  }
  return facts;
}

}  // namespace infermeter::collectors
