#include "infermeter/collectors/host_description.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <exception>

#include "proc_files.h"

namespace infermeter::collectors {

HostDescription DescribeHost() {
  HostDescription host;
  // Each figure on its own: one unreadable file must not hide the others.
  try {
    host.cpu_model = ParseCpuModel(ReadProcFile("/proc/cpuinfo"));
  } catch (const std::exception&) {
  }
  try {
    host.memory_total_bytes =
        ParseMemInfo(ReadProcFile("/proc/meminfo"), "/proc/meminfo").total_bytes;
  } catch (const std::exception&) {
  }
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  host.logical_cores = cores > 0 ? static_cast<int>(cores) : 0;
  utsname names{};
  if (uname(&names) == 0) host.kernel_release = names.release;
  std::array<char, 256> name{};
  // gethostname may leave a truncated name unterminated; the last byte stays '\0'.
  if (gethostname(name.data(), name.size() - 1) == 0) host.hostname = name.data();
  return host;
}

}  // namespace infermeter::collectors
