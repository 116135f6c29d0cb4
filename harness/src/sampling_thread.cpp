#include "sampling_thread.h"

#include <algorithm>

#include "infermeter/core/clock.h"
#include "infermeter/core/log.h"

namespace infermeter::harness {

SamplingThread::SamplingThread(
    std::vector<Collector*> collectors, results::ResultsWriter& writer,
    std::int64_t sample_interval_ns, std::function<void()> on_progress,
    std::int64_t progress_interval_ns,
    std::function<void(const std::vector<results::SampleRecord>&)> on_samples)
    : collectors_(std::move(collectors)),
      writer_(writer),
      sample_interval_ns_(std::max<std::int64_t>(sample_interval_ns, 1'000'000)),
      on_progress_(std::move(on_progress)),
      progress_interval_ns_(std::max<std::int64_t>(progress_interval_ns, 10'000'000)),
      on_samples_(std::move(on_samples)),
      thread_([this] { Loop(); }) {}

SamplingThread::~SamplingThread() { Stop(); }

void SamplingThread::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  SampleAll(MonotonicNs(), /*last=*/true);
  if (on_progress_) on_progress_();
}

void SamplingThread::SampleAll(std::int64_t now_ns, bool last) {
  std::vector<results::SampleRecord> samples;
  for (Collector* collector : collectors_) {
    if (last) {
      collector->Stop(now_ns, samples);
    } else {
      collector->Sample(now_ns, samples);
    }
  }
  if (on_samples_) on_samples_(samples);
  for (auto& sample : samples) {
    try {
      writer_.Add(std::move(sample));
    } catch (const std::exception& e) {
      spdlog::warn("a sample could not be stored: {}", e.what());
      return;
    }
  }
}

void SamplingThread::Loop() {
  std::int64_t next_sample_ns = MonotonicNs();
  std::int64_t next_progress_ns = next_sample_ns + progress_interval_ns_;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const std::int64_t now_ns = MonotonicNs();
    if (now_ns >= next_sample_ns) {
      lock.unlock();
      SampleAll(now_ns, /*last=*/false);
      lock.lock();
      // Keep the grid: skip missed ticks rather than sampling in a burst.
      while (next_sample_ns <= now_ns) next_sample_ns += sample_interval_ns_;
    }
    if (now_ns >= next_progress_ns) {
      if (on_progress_) {
        lock.unlock();
        on_progress_();
        lock.lock();
      }
      while (next_progress_ns <= now_ns) next_progress_ns += progress_interval_ns_;
    }
    const std::int64_t wake_ns = std::min(next_sample_ns, next_progress_ns);
    wake_.wait_until(lock, MonotonicClock::time_point(std::chrono::nanoseconds(wake_ns)),
                     [this] { return stopping_; });
  }
}

}  // namespace infermeter::harness
