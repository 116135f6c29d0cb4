#pragma once
// An engine with exactly known timing, for testing the harness's scheduling and bookkeeping:
// each request streams its first token `ttft_ns` after Submit, then one token every `itl_ns`,
// up to max_output_tokens, from one worker thread. Fault injection: requests can be made to
// fail, or to ignore Cancel (an engine that never answers).
//
// Real engines (the reference engine) are exercised through the CLI tests; this one exists so
// the harness's own timing rules can be checked to the microsecond.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "infermeter/core/clock.h"
#include "infermeter/core/engine.h"

namespace infermeter::testing {

struct TimedEngineSettings {
  std::int64_t ttft_ns = 2'000'000;
  std::int64_t itl_ns = 1'000'000;
  std::int64_t fail_every = 0;        // every Nth request (by id) fails; 0 = none
  bool ignore_cancel = false;         // Cancel() does nothing (an engine that hangs)
  std::int64_t tokens_per_chunk = 1;  // >1: multi-token chunks
  // Reasoning models: the chunks that start within the first `reasoning_tokens` tokens of each
  // request are marked reasoning; the usage reports `usage_reasoning_tokens` (0: says nothing).
  std::int64_t reasoning_tokens = 0;
  std::int64_t usage_reasoning_tokens = 0;
  // HTTP engines: the finish says the connection was ready a quarter of ttft_ns after Submit and
  // the first byte came at half of it, on the monotonic clock.
  bool http_phases = false;
};

class TimedEngine final : public Engine {
 public:
  explicit TimedEngine(TimedEngineSettings settings) : settings_(settings) {
    worker_ = std::thread([this] { Loop(); });
  }
  ~TimedEngine() override { Shutdown(); }

  EngineDescription Describe() const override { return {"timed", "none", "test engine"}; }

  void Submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) override {
    std::lock_guard lock(mutex_);
    Live live{std::move(sink),
              request.max_output_tokens,
              0,
              request.id.value % (settings_.fail_every ? settings_.fail_every : 1) == 0 &&
                  settings_.fail_every != 0,
              static_cast<std::int64_t>(request.prompt_tokens.size()),
              MonotonicNs()};
    const std::int64_t due = live.submitted_ns + settings_.ttft_ns;
    live_[request.id.value] = std::move(live);
    events_.insert({due, request.id.value});
    submitted_ += 1;
    wake_.notify_one();
  }

  void Cancel(RequestId id) override {
    if (settings_.ignore_cancel) return;
    std::lock_guard lock(mutex_);
    cancels_.insert(id.value);
    events_.insert({0, id.value});
    wake_.notify_one();
  }

  EngineStats Stats() const override { return {}; }

  void Shutdown() override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      wake_.notify_one();
    }
    worker_.join();
  }

  std::int64_t submitted() const {
    std::lock_guard lock(mutex_);
    return submitted_;
  }

 private:
  struct Live {
    std::shared_ptr<ResponseSink> sink;
    std::int64_t max_tokens = 0;
    std::int64_t produced = 0;
    bool fail = false;
    std::int64_t prompt_tokens = 0;
    std::int64_t submitted_ns = 0;
  };

  void Loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (events_.empty()) {
        wake_.wait(lock);
        continue;
      }
      const auto [due, id] = *events_.begin();
      if (due > MonotonicNs()) {
        wake_.wait_until(lock, MonotonicClock::time_point(std::chrono::nanoseconds(due)));
        continue;
      }
      events_.erase(events_.begin());
      auto it = live_.find(id);
      if (it == live_.end()) continue;
      Live& live = it->second;
      const std::int64_t now = MonotonicNs();
      if (cancels_.erase(id)) {
        live.sink->OnFinish(
            {RequestId(id), {live.prompt_tokens, 0, live.produced}, FinishReason::kCancelled, now});
        live_.erase(it);
        continue;
      }
      if (due == 0) continue;  // a cancel for a request that already ended
      if (live.fail) {
        live.sink->OnError({RequestId(id), "injected failure", now, "injected"});
        live_.erase(it);
        continue;
      }
      const std::int64_t n = std::min(settings_.tokens_per_chunk, live.max_tokens - live.produced);
      const bool reasoning = live.produced < settings_.reasoning_tokens;
      live.produced += n;
      live.sink->OnChunk({RequestId(id), {}, n, {}, now, reasoning});
      if (live.produced >= live.max_tokens) {
        live.sink->OnFinish(Finished(id, live, now));
        live_.erase(it);
        continue;
      }
      events_.insert({now + settings_.itl_ns * n, id});
    }
    for (auto& [id, live] : live_) {
      live.sink->OnFinish({RequestId(id), {}, FinishReason::kCancelled, MonotonicNs()});
    }
    live_.clear();
  }

  EngineFinish Finished(std::int64_t id, const Live& live, std::int64_t now) const {
    EngineFinish finish{.id = RequestId(id),
                        .usage = {.prompt_tokens = live.prompt_tokens,
                                  .completion_tokens = live.produced,
                                  .reasoning_tokens = settings_.usage_reasoning_tokens},
                        .reason = FinishReason::kLength,
                        .engine_time_ns = now,
                        .queue_time_ns = 0};
    if (settings_.http_phases) {
      finish.connected_ns = live.submitted_ns + settings_.ttft_ns / 4;
      finish.first_byte_ns = live.submitted_ns + settings_.ttft_ns / 2;
    }
    return finish;
  }

  const TimedEngineSettings settings_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::int64_t, Live> live_;
  std::set<std::pair<std::int64_t, std::int64_t>> events_;  // (due ns, request id)
  std::set<std::int64_t> cancels_;
  std::int64_t submitted_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace infermeter::testing
