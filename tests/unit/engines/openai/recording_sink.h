#pragma once
// A ResponseSink that keeps everything an engine told it, for tests; Wait() blocks until the
// request ended.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "infermeter/core/engine.h"

namespace infermeter::testing {

class RecordingSink : public ResponseSink {
 public:
  void OnChunk(const EngineChunk& chunk) override {
    std::lock_guard lock(mutex_);
    chunks.push_back(chunk);
  }
  void OnFinish(const EngineFinish& value) override {
    std::lock_guard lock(mutex_);
    finish = value;
    ++ends;
    changed_.notify_all();
  }
  void OnError(const EngineFailure& value) override {
    std::lock_guard lock(mutex_);
    failure = value;
    ++ends;
    changed_.notify_all();
  }
  // True when the request ended within `timeout`.
  bool Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return ends > 0; });
  }
  std::int64_t Tokens() const {
    std::int64_t total = 0;
    for (const EngineChunk& chunk : chunks) total += chunk.token_count;
    return total;
  }

  std::vector<EngineChunk> chunks;
  std::optional<EngineFinish> finish;
  std::optional<EngineFailure> failure;
  int ends = 0;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace infermeter::testing
