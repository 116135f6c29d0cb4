#pragma once
// A ResponseSink that keeps everything a request produced and lets the caller wait for the end.
// For commands that drive an engine directly, one request at a time (`infermeter engine ...`).

#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "infermeter/core/engine.h"

namespace infermeter::cli {

class CollectingSink final : public ResponseSink {
 public:
  void OnChunk(const EngineChunk& chunk) override {
    std::lock_guard lock(mutex_);
    chunks_.push_back(chunk);
  }
  void OnFinish(const EngineFinish& finish) override {
    std::lock_guard lock(mutex_);
    finish_ = finish;
    done_.notify_all();
  }
  void OnError(const EngineFailure& failure) override {
    std::lock_guard lock(mutex_);
    failure_ = failure;
    done_.notify_all();
  }

  // Blocks until OnFinish or OnError; then the accessors below are stable.
  void Wait() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return finish_.has_value() || failure_.has_value(); });
  }
  const std::vector<EngineChunk>& chunks() const { return chunks_; }
  const std::optional<EngineFinish>& finish() const { return finish_; }
  const std::optional<EngineFailure>& failure() const { return failure_; }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<EngineChunk> chunks_;
  std::optional<EngineFinish> finish_;
  std::optional<EngineFailure> failure_;
};

}  // namespace infermeter::cli
