#pragma once
// Parsers for the Linux /proc files the system collector and the host description read. They
// take the file's text and the name to blame, so tests feed them fixtures and the collector
// feeds them what it read. A file that is not what the kernel writes (a missing field, a value
// that is not a number, a line cut short) throws InputError naming the file and the field.

#include <cstdint>
#include <string>
#include <string_view>

namespace infermeter::collectors {

// /proc/<pid>/stat: the CPU time the process has used, in clock ticks (sysconf(_SC_CLK_TCK)).
struct ProcStat {
  std::int64_t utime_ticks = 0;  // field 14: user mode
  std::int64_t stime_ticks = 0;  // field 15: kernel mode
  std::int64_t cpu_ticks() const { return utime_ticks + stime_ticks; }
};
ProcStat ParseProcStat(std::string_view text, const std::string& source);

// /proc/<pid>/status: resident set size now and its high-water mark, in bytes.
struct ProcStatus {
  std::int64_t rss_bytes = 0;       // VmRSS
  std::int64_t rss_peak_bytes = 0;  // VmHWM
};
ProcStatus ParseProcStatus(std::string_view text, const std::string& source);

// /proc/meminfo: the host's memory, in bytes.
struct MemInfo {
  std::int64_t total_bytes = 0;      // MemTotal
  std::int64_t available_bytes = 0;  // MemAvailable: what could be given to new work now
  std::int64_t used_bytes() const { return total_bytes - available_bytes; }
};
MemInfo ParseMemInfo(std::string_view text, const std::string& source);

// /proc/cpuinfo: the first "model name" value, or "" when the file has none (some ARM kernels).
std::string ParseCpuModel(std::string_view text);

// The whole of a /proc file. /proc files report a size of 0, so this reads until the end rather
// than trusting the size. Throws Error naming the file when it cannot be opened or read.
std::string ReadProcFile(const std::string& path);

}  // namespace infermeter::collectors
