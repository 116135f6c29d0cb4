#pragma once
// The host a run ran on, for the run's hardware description: what /proc/cpuinfo, sysconf,
// /proc/meminfo, uname and gethostname say. Best effort: a figure the system does not give is
// left empty (or 0) rather than failing the run over it.

#include <cstdint>
#include <string>

namespace infermeter::collectors {

struct HostDescription {
  std::string cpu_model;                // "model name" of the first CPU in /proc/cpuinfo
  int logical_cores = 0;                // online logical CPUs (sysconf(_SC_NPROCESSORS_ONLN))
  std::int64_t memory_total_bytes = 0;  // MemTotal from /proc/meminfo
  std::string kernel_release;           // uname -r
  std::string hostname;
};

HostDescription DescribeHost();

}  // namespace infermeter::collectors
