#include "infermeter/collectors/ascend_collector.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dcmi_library.h"
#include "infermeter/collectors/npu_smi.h"
#include "infermeter/collectors/npu_smi_runner.h"
#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

constexpr std::int64_t kMiB = 1024 * 1024;
constexpr std::string_view kUnavailable = "unavailable: ";

std::string WithoutUnavailable(std::string text) {
  if (text.starts_with(kUnavailable)) text.erase(0, kUnavailable.size());
  return text;
}

NpuReading FromNpuSmi(const NpuSmiInfo& info, std::int64_t time_ns) {
  NpuReading reading{.time_ns = time_ns};
  for (const NpuSmiChip& chip : info.chips) {
    NpuChipReading r{.npu_id = chip.npu_id,
                     .chip_id = chip.chip_id,
                     .name = chip.name,
                     .power_w = chip.power_w,
                     .temperature_c = chip.temperature_c,
                     .aicore_percent = chip.aicore_percent};
    // HBM when the chip has it: the 910 family shows an empty "0 / 0" DDR column or the DDR of
    // its control CPU there, which is not where models live.
    if (chip.hbm_mb && chip.hbm_mb->total > 0) {
      r.memory_used_bytes = chip.hbm_mb->used * kMiB;
      r.memory_total_bytes = chip.hbm_mb->total * kMiB;
      r.memory_is_hbm = true;
    } else if (chip.memory_mb && chip.memory_mb->total > 0) {
      r.memory_used_bytes = chip.memory_mb->used * kMiB;
      r.memory_total_bytes = chip.memory_mb->total * kMiB;
    }
    reading.chips.push_back(std::move(r));
  }
  for (const NpuSmiProcess& p : info.processes) {
    reading.processes.push_back({.npu_id = p.npu_id,
                                 .chip_id = p.chip_id,
                                 .pid = p.pid,
                                 .name = p.name,
                                 .memory_bytes = p.memory_mb * kMiB});
  }
  return reading;
}

// "8 x 910B3" per distinct name, in the order the chips come.
std::string DeviceSummary(const NpuReading& reading) {
  std::vector<std::pair<std::string, int>> counts;
  for (const NpuChipReading& chip : reading.chips) {
    const std::string name = chip.name.empty() ? "unnamed" : chip.name;
    auto it =
        std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == name; });
    if (it == counts.end()) {
      counts.emplace_back(name, 1);
    } else {
      ++it->second;
    }
  }
  std::string text;
  for (const auto& [name, count] : counts) {
    text += fmt::format("{}{} x {}", text.empty() ? "" : ", ", count, name);
  }
  return text;
}

// Which readings npu-smi leaves empty (310P power "NA", A3 power only on each NPU's chip 0).
std::vector<std::string> NpuSmiGaps(const NpuSmiInfo& info, const NpuReading& reading) {
  std::vector<std::string> gaps;
  const auto check = [&](const char* metric, auto has) {
    const auto n = std::count_if(reading.chips.begin(), reading.chips.end(), has);
    if (n == 0) {
      gaps.push_back(fmt::format("{}: npu-smi shows no value (NA) for any chip", metric));
    } else if (static_cast<std::size_t>(n) < reading.chips.size()) {
      gaps.push_back(
          fmt::format("{}: npu-smi shows it for {} of {} chips", metric, n, reading.chips.size()));
    }
  };
  check("npu_power_watts", [](const NpuChipReading& c) { return c.power_w.has_value(); });
  check("npu_temperature_c", [](const NpuChipReading& c) { return c.temperature_c.has_value(); });
  check("npu_aicore_utilization_percent",
        [](const NpuChipReading& c) { return c.aicore_percent.has_value(); });
  check("npu_memory_used_bytes",
        [](const NpuChipReading& c) { return c.memory_used_bytes.has_value(); });
  if (!info.has_process_table) {
    gaps.emplace_back("npu_process_memory_bytes: npu-smi printed no process table");
  }
  return gaps;
}

std::string Labels(int npu, int chip) {
  return nlohmann::json{{"npu", std::to_string(npu)}, {"chip", std::to_string(chip)}}.dump();
}

std::string ProcessLabels(const NpuProcessReading& p) {
  // Process names come from the host and need not be UTF-8: replace rather than throw.
  return nlohmann::json{{"npu", std::to_string(p.npu_id)},
                        {"chip", std::to_string(p.chip_id)},
                        {"pid", std::to_string(p.pid)},
                        {"process", p.name}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct Integral {
  double joules = 0;
  std::int64_t covered_ns = 0;
};

// The trapezoidal rule over (time, watts) points, clipped to [from, to]: a segment crossing an
// edge counts up to the edge, with the power there interpolated linearly.
Integral Trapezoid(const std::vector<std::pair<std::int64_t, double>>& points, std::int64_t from,
                   std::int64_t to) {
  Integral integral;
  for (std::size_t i = 1; i < points.size(); ++i) {
    const auto [t0, p0] = points[i - 1];
    const auto [t1, p1] = points[i];
    const std::int64_t lo = std::max(t0, from), hi = std::min(t1, to);
    if (t1 <= t0 || hi <= lo) continue;
    const auto at = [&](std::int64_t t) {
      return p0 + (p1 - p0) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
    };
    integral.joules += (at(lo) + at(hi)) / 2 * static_cast<double>(hi - lo) * 1e-9;
    integral.covered_ns += hi - lo;
  }
  return integral;
}

}  // namespace

// Where readings come from. Opened by Start (and DescribeAscendNpus); read by one thread at a
// time: the polling thread, or Sample when polling in the background is off.
class AscendSource {
 public:
  static std::unique_ptr<AscendSource> Open(const AscendCollectorOptions& options) {
    auto source = std::make_unique<AscendSource>();
    const std::vector<std::string> paths =
        options.dcmi_paths.empty() ? DefaultDcmiPaths() : options.dcmi_paths;
    try {
      source->dcmi_.emplace(DcmiSession::Open(paths));
      source->first_ = source->Read(nullptr);
      source->driver_version_ = source->dcmi_->driver_version();
      source->unsupported_ = source->dcmi_->unsupported();
      return source;
    } catch (const Error& e) {
      source->dcmi_.reset();
      source->dcmi_unavailable_ = WithoutUnavailable(e.what());
    }
    const std::optional<std::string> exe = FindExecutable(options.npu_smi);
    if (!exe) {
      throw Error(fmt::format("unavailable: {} and {}", source->dcmi_unavailable_,
                              options.npu_smi.find('/') == std::string::npos
                                  ? fmt::format("no {} on PATH", options.npu_smi)
                                  : fmt::format("no executable {}", options.npu_smi)));
    }
    source->npu_smi_ = *exe;
    source->timeout_ = std::chrono::milliseconds(options.npu_smi_timeout_ms);
    try {
      NpuSmiInfo info;
      source->first_ = source->Read(nullptr, &info);
      source->tool_version_ = info.tool_version;
      source->driver_version_ = info.driver_version;
      source->unsupported_ = NpuSmiGaps(info, source->first_);
    } catch (const Error& e) {
      throw Error(fmt::format("unavailable: {}, and npu-smi failed: {}", source->dcmi_unavailable_,
                              e.what()));
    }
    return source;
  }

  // One reading, stamped midway through the time it took. Throws Error when npu-smi fails or
  // prints something that does not parse; DCMI reads never throw.
  NpuReading Read(const std::atomic<bool>* cancel, NpuSmiInfo* info_out = nullptr) const {
    const std::int64_t begin = MonotonicNs();
    NpuReading reading;
    if (dcmi_) {
      reading = dcmi_->Read(0);
    } else {
      NpuSmiInfo info =
          ParseNpuSmiInfo(RunNpuSmiInfo(npu_smi_, timeout_, cancel), npu_smi_ + " info");
      reading = FromNpuSmi(info, 0);
      if (info_out != nullptr) *info_out = std::move(info);
    }
    reading.time_ns = begin + (MonotonicNs() - begin) / 2;
    return reading;
  }

  std::string Name() const {
    if (dcmi_) return dcmi_->dcmi_version().empty() ? "dcmi" : "dcmi " + dcmi_->dcmi_version();
    return tool_version_.empty() ? "npu-smi" : "npu-smi " + tool_version_;
  }

  std::vector<std::pair<std::string, std::string>> Facts(
      const AscendCollectorOptions& options) const {
    std::vector<std::pair<std::string, std::string>> facts{{"npu_source", Name()}};
    if (dcmi_) {
      facts.emplace_back("npu_dcmi_library", dcmi_->path());
    } else {
      facts.emplace_back("npu_smi", npu_smi_);
      facts.emplace_back("npu_dcmi_unavailable", dcmi_unavailable_);
    }
    facts.emplace_back("npu_devices", DeviceSummary(first_));
    if (!driver_version_.empty()) facts.emplace_back("npu_driver_version", driver_version_);
    if (!unsupported_.empty()) {
      facts.emplace_back("npu_readings_not_supported",
                         fmt::format("{}", fmt::join(unsupported_, "; ")));
    }
    facts.emplace_back(
        "npu_sampling",
        options.background_polling
            ? fmt::format("a background thread reads every {} ms{}; each sampling interval "
                          "stores the newest reading, stamped with the time it was taken",
                          options.poll_interval_ms,
                          dcmi_ ? ""
                                : fmt::format(" (npu-smi back to back when slower, {} ms "
                                              "timeout)",
                                              options.npu_smi_timeout_ms))
            : std::string("read in each sampling interval, stamped with its time"));
    facts.emplace_back("npu_energy_method",
                       "integrated (trapezoidal rule) from the power readings at the sampling "
                       "interval, summed over all chips; not a hardware energy counter");
    return facts;
  }

  const NpuReading& first() const { return first_; }
  const std::string& driver_version() const { return driver_version_; }

 private:
  std::optional<DcmiSession> dcmi_;
  std::string npu_smi_;
  std::chrono::milliseconds timeout_{5000};
  std::string tool_version_, driver_version_, dcmi_unavailable_;
  std::vector<std::string> unsupported_;
  NpuReading first_;
};

std::vector<std::string> DefaultDcmiPaths() {
  return {"/usr/local/dcmi/libdcmi.so", "/usr/local/Ascend/driver/lib64/driver/libdcmi.so",
          "libdcmi.so"};
}

AscendCollector::AscendCollector(AscendCollectorOptions options) : options_(std::move(options)) {
  if (options_.dcmi_paths.empty()) options_.dcmi_paths = DefaultDcmiPaths();
}

AscendCollector::~AscendCollector() { StopPolling(); }

void AscendCollector::Start(const harness::CollectorContext& context) {
  StopPolling();
  context_ = context;
  source_ = AscendSource::Open(options_);  // throws Error("unavailable: ...")
  facts_ = source_->Facts(options_);
  history_.clear();
  std::lock_guard lock(mutex_);
  latest_.reset();
  latest_sequence_ = emitted_sequence_ = 0;
  reads_ = failed_reads_ = 0;
  last_error_.clear();
  stopping_ = false;
  if (options_.background_polling) {
    latest_ = source_->first();  // so the first Sample has something to hand over
    latest_sequence_ = 1;
    poller_ = std::thread([this] { PollLoop(); });
  }
}

void AscendCollector::PollLoop() {
  const std::int64_t interval_ns = std::max<std::int64_t>(options_.poll_interval_ms, 1) * 1'000'000;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const std::int64_t begin_ns = MonotonicNs();
    lock.unlock();
    std::optional<NpuReading> reading;
    std::string error;
    try {
      reading = source_->Read(&stopping_);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    if (reading) {
      latest_ = std::move(reading);
      ++latest_sequence_;
      ++reads_;
    } else if (!stopping_) {  // a read cut short by Stop is no failure
      ++reads_;
      ++failed_reads_;
      last_error_ = std::move(error);
    }
    wake_.wait_until(lock,
                     MonotonicClock::time_point(std::chrono::nanoseconds(begin_ns + interval_ns)),
                     [this] { return stopping_.load(); });
  }
}

void AscendCollector::StopPolling() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (poller_.joinable()) poller_.join();
}

void AscendCollector::Sample(std::int64_t now_ns, std::vector<results::SampleRecord>& out) {
  if (!source_) return;
  try {
    if (!options_.background_polling) {
      std::optional<NpuReading> reading;
      try {
        reading = source_->Read(nullptr);
        reading->time_ns = now_ns;
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        ++reads_;
        ++failed_reads_;
        last_error_ = e.what();
        return;
      }
      {
        std::lock_guard lock(mutex_);
        ++reads_;
      }
      Emit(*reading, out);
      return;
    }
    std::optional<NpuReading> fresh;
    {
      std::lock_guard lock(mutex_);
      if (latest_ && latest_sequence_ != emitted_sequence_) {
        fresh = *latest_;
        emitted_sequence_ = latest_sequence_;
      }
    }
    if (fresh) Emit(*fresh, out);
  } catch (const std::exception&) {
    // Sample must not throw; a sample lost to memory exhaustion is the least of that run's
    // problems.
  }
}

void AscendCollector::Stop(std::int64_t now_ns, std::vector<results::SampleRecord>& out) {
  StopPolling();
  Sample(now_ns, out);
}

void AscendCollector::Emit(const NpuReading& reading, std::vector<results::SampleRecord>& out) {
  const auto add = [&](const char* metric, const std::string& labels, double value) {
    out.push_back({.run_id = context_.run,
                   .time_ns = reading.time_ns,
                   .source = "ascend",
                   .metric = metric,
                   .labels_json = labels,
                   .value = value});
  };
  for (const NpuChipReading& chip : reading.chips) {
    const std::string labels = Labels(chip.npu_id, chip.chip_id);
    if (chip.memory_used_bytes) {
      add("npu_memory_used_bytes", labels, static_cast<double>(*chip.memory_used_bytes));
    }
    if (chip.memory_total_bytes) {
      add("npu_memory_total_bytes", labels, static_cast<double>(*chip.memory_total_bytes));
    }
    if (chip.aicore_percent) add("npu_aicore_utilization_percent", labels, *chip.aicore_percent);
    if (chip.power_w) add("npu_power_watts", labels, *chip.power_w);
    if (chip.temperature_c) add("npu_temperature_c", labels, *chip.temperature_c);
  }
  for (const NpuProcessReading& process : reading.processes) {
    add("npu_process_memory_bytes", ProcessLabels(process),
        static_cast<double>(process.memory_bytes));
  }
  history_.push_back({.time_ns = reading.time_ns, .chips = reading.chips});
}

void AscendCollector::Summarize(const harness::CollectorSummaryInput& input,
                                std::vector<results::RunMetric>& metrics,
                                std::vector<results::SampleRecord>& /*samples*/) {
  const auto add = [&](const char* name, double value, const char* unit) {
    metrics.push_back({.run_id = input.run, .name = name, .value = value, .unit = unit});
  };
  const auto inside = [&](std::int64_t t) { return t >= input.start_ns && t <= input.end_ns; };
  std::vector<std::pair<std::int64_t, double>> power;  // total over chips, per reading
  std::optional<double> memory_peak;
  double aicore_sum = 0;
  std::int64_t aicore_count = 0;
  for (const NpuReading& reading : history_) {
    double total = 0;
    bool any = false;
    for (const NpuChipReading& chip : reading.chips) {
      if (chip.power_w) {
        total += *chip.power_w;
        any = true;
      }
      if (!inside(reading.time_ns)) continue;
      if (chip.memory_used_bytes) {
        memory_peak =
            std::max(memory_peak.value_or(0), static_cast<double>(*chip.memory_used_bytes));
      }
      if (chip.aicore_percent) {
        aicore_sum += *chip.aicore_percent;
        ++aicore_count;
      }
    }
    if (any) power.emplace_back(reading.time_ns, total);
  }
  const Integral energy = Trapezoid(power, input.start_ns, input.end_ns);
  if (energy.covered_ns > 0) {
    add("npu_energy_j", energy.joules, "J");
    add("npu_power_mean_w", energy.joules / (static_cast<double>(energy.covered_ns) * 1e-9), "W");
  } else {
    // One reading in the window gives a power but no energy: nothing to integrate over.
    const auto in_window =
        std::find_if(power.begin(), power.end(), [&](const auto& p) { return inside(p.first); });
    if (in_window != power.end()) add("npu_power_mean_w", in_window->second, "W");
  }
  if (memory_peak) add("npu_memory_used_peak_bytes", *memory_peak, "bytes");
  if (aicore_count > 0) {
    add("npu_aicore_utilization_mean_percent", aicore_sum / static_cast<double>(aicore_count), "%");
  }
  std::erase_if(facts_, [](const auto& f) { return f.first == "npu_energy_window"; });
  facts_.emplace_back("npu_energy_window",
                      fmt::format("{:.3f} s of the run's {:.3f} s lie between power readings",
                                  energy.covered_ns * 1e-9,
                                  static_cast<double>(input.end_ns - input.start_ns) * 1e-9));
}

std::vector<std::pair<std::string, std::string>> AscendCollector::Facts() const {
  std::vector<std::pair<std::string, std::string>> facts = facts_;
  std::lock_guard lock(mutex_);
  if (failed_reads_ > 0) {
    facts.emplace_back("npu_read_failures", fmt::format("{} of {} readings failed; the last: {}",
                                                        failed_reads_, reads_, last_error_));
  }
  return facts;
}

std::vector<NpuDescription> DescribeAscendNpus(std::string* why_unavailable) {
  return DescribeAscendNpus(AscendCollectorOptions{}, why_unavailable);
}

std::vector<NpuDescription> DescribeAscendNpus(const AscendCollectorOptions& options,
                                               std::string* why_unavailable) {
  std::unique_ptr<AscendSource> source;
  try {
    source = AscendSource::Open(options);
  } catch (const Error& e) {
    if (why_unavailable != nullptr) *why_unavailable = e.what();
    return {};
  }
  std::vector<NpuDescription> npus;
  for (const NpuChipReading& chip : source->first().chips) {
    npus.push_back({.npu_id = chip.npu_id,
                    .chip_id = chip.chip_id,
                    .name = chip.name,
                    .memory_total_bytes = chip.memory_total_bytes.value_or(0),
                    .driver_version = source->driver_version(),
                    .source = source->Name()});
  }
  return npus;
}

}  // namespace infermeter::collectors
