#pragma once
// Process and host telemetry from Linux /proc: the CPU time and resident memory of this process
// (the harness, and the engine when it is embedded) and the host's memory in use. An engine that
// runs as another process (a local server) is not counted here.
//
// Series, every sampling interval (labels {}):
//   process_cpu_percent      CPU time used since the previous such sample / wall time x 100;
//                            exceeds 100 when several cores work at once; left out of a
//                            sample less than 100 ms after the previous one (tick rounding)
//   process_rss_bytes        VmRSS of /proc/self/status
//   host_memory_used_bytes   MemTotal - MemAvailable of /proc/meminfo
//   host_memory_total_bytes  MemTotal
// Summary: process_cpu_s (s), process_cpu_percent_mean (%, CPU time / wall time from Start to
// the last sample), process_rss_peak_bytes (VmHWM at the end: the peak since the process
// started), host_memory_total_bytes.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infermeter/harness/collector.h"

namespace infermeter::collectors {

// Where the collector reads from; tests point it at fixtures.
struct ProcPaths {
  std::string stat = "/proc/self/stat";
  std::string status = "/proc/self/status";
  std::string meminfo = "/proc/meminfo";
};

class SystemCollector : public harness::Collector {
 public:
  explicit SystemCollector(ProcPaths paths = {});

  std::string_view Name() const override { return "system"; }
  // Reads every file once; throws Error when one cannot be read or parsed (no /proc here).
  void Start(const harness::CollectorContext& context) override;
  // A file that cannot be read this time is skipped (and noted in Facts); never throws.
  void Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) override;
  void Summarize(const harness::CollectorSummaryInput& input,
                 std::vector<results::RunMetric>& metrics,
                 std::vector<results::SampleRecord>& samples) override;
  std::vector<std::pair<std::string, std::string>> Facts() const override;

 private:
  void Add(std::vector<results::SampleRecord>& out, std::int64_t now_ns, const char* metric,
           double value) const;
  void NoteFailure(const char* what) noexcept;

  ProcPaths paths_;
  harness::CollectorContext context_;
  double ticks_per_s_ = 100;
  // CPU time in ticks, with the monotonic time it was read at: at Start, where the next
  // process_cpu_percent window begins, and at the latest reading.
  std::int64_t start_ticks_ = 0;
  std::int64_t start_ns_ = 0;
  std::int64_t prev_ticks_ = 0;
  std::int64_t prev_ns_ = 0;
  std::int64_t end_ticks_ = 0;
  std::int64_t end_ns_ = 0;
  std::int64_t rss_peak_bytes_ = 0;
  std::int64_t memory_total_bytes_ = 0;
  int failed_reads_ = 0;
  std::string first_failure_;
};

}  // namespace infermeter::collectors
