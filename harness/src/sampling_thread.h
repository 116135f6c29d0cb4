#pragma once
// The thread that samples a run's collectors every sampling interval and reports progress, on
// the run's clock, handing samples to the results writer. Separate from the scheduler thread so
// a slow collector (an NVML call, a /metrics scrape) never delays a send.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "infermeter/harness/collector.h"
#include "infermeter/results/writer.h"

namespace infermeter::harness {

class SamplingThread {
 public:
  SamplingThread(std::vector<Collector*> collectors, results::ResultsWriter& writer,
                 std::int64_t sample_interval_ns, std::function<void()> on_progress,
                 std::int64_t progress_interval_ns,
                 std::function<void(const std::vector<results::SampleRecord>&)> on_samples = {});
  ~SamplingThread();
  SamplingThread(const SamplingThread&) = delete;
  SamplingThread& operator=(const SamplingThread&) = delete;

  // Stops the thread, takes each collector's last sample and reports progress once more.
  void Stop();

 private:
  void Loop();
  void SampleAll(std::int64_t now_ns, bool last);

  std::vector<Collector*> collectors_;
  results::ResultsWriter& writer_;
  const std::int64_t sample_interval_ns_;
  std::function<void()> on_progress_;
  const std::int64_t progress_interval_ns_;
  // Sees each batch of samples before the writer takes it (a run's live listener).
  std::function<void(const std::vector<results::SampleRecord>&)> on_samples_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace infermeter::harness
