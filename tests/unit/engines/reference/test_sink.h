#pragma once
// A ResponseSink for tests: records everything and checks the interface's promises (chunks only
// before the one terminal call, exactly one terminal call).

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "infermeter/core/engine.h"

namespace infermeter::testing {

class TestSink final : public ResponseSink {
 public:
  void OnChunk(const EngineChunk& chunk) override {
    std::lock_guard lock(mutex_);
    if (terminal_calls_ > 0) chunk_after_end_ = true;
    for (const TokenId t : chunk.tokens) tokens_.push_back(t);
    token_count_ += chunk.token_count;
  }
  void OnFinish(const EngineFinish& finish) override {
    std::lock_guard lock(mutex_);
    ++terminal_calls_;
    finish_ = finish;
    done_.notify_all();
  }
  void OnError(const EngineFailure& failure) override {
    std::lock_guard lock(mutex_);
    ++terminal_calls_;
    failure_ = failure;
    done_.notify_all();
  }

  // False when nothing arrived within the timeout (a hung engine fails the test, not CI).
  bool Wait(std::chrono::seconds timeout = std::chrono::seconds(120)) {
    std::unique_lock lock(mutex_);
    return done_.wait_for(lock, timeout, [this] { return terminal_calls_ > 0; });
  }

  std::vector<TokenId> tokens() const {
    std::lock_guard lock(mutex_);
    return tokens_;
  }
  std::int64_t token_count() const {
    std::lock_guard lock(mutex_);
    return token_count_;
  }
  std::optional<EngineFinish> finish() const {
    std::lock_guard lock(mutex_);
    return finish_;
  }
  std::optional<EngineFailure> failure() const {
    std::lock_guard lock(mutex_);
    return failure_;
  }
  int terminal_calls() const {
    std::lock_guard lock(mutex_);
    return terminal_calls_;
  }
  bool chunk_after_end() const {
    std::lock_guard lock(mutex_);
    return chunk_after_end_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable done_;
  std::vector<TokenId> tokens_;
  std::int64_t token_count_ = 0;
  int terminal_calls_ = 0;
  bool chunk_after_end_ = false;
  std::optional<EngineFinish> finish_;
  std::optional<EngineFailure> failure_;
};

inline std::vector<TokenId> Prompt(std::size_t n, TokenId first = 10) {
  std::vector<TokenId> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = first + static_cast<TokenId>((i * 37) % 900);
  return ids;
}

}  // namespace infermeter::testing
