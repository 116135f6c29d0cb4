#pragma once
// Continuous batching with vLLM V1's policy: every step first gives each running sequence that
// is decoding its next position, then continues running prefills in chunks, then admits
// waiting sequences first-come first-served while the running cap and the step's token budget
// allow. Long prompts are prefilled in chunks over several steps. When the KV cache is full,
// the most recently admitted running sequence is preempted: its cache is released (its full
// blocks stay in the prefix cache) and it waits at the front of the queue to be recomputed.
// Not thread-safe: the engine's step thread is its only user.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "kv/kv_cache.h"
#include "sequence.h"

namespace infermeter::engines::reference {

struct SchedulerConfig {
  std::int64_t max_running_requests = 64;
  std::int64_t max_step_tokens = 2048;  // positions run through the model per step
};

// Positions [start, start + count) of one sequence in this step.
struct StepSlice {
  Sequence* seq = nullptr;
  std::int64_t start = 0;
  std::int64_t count = 0;
  bool want_logits = false;  // the slice ends at the sequence's last token: sample after it
};

// A sequence the scheduler gave up on, and why ("context of N tokens needs X bytes ...").
struct Rejection {
  std::unique_ptr<Sequence> seq;
  std::string reason;
};

struct StepPlan {
  std::vector<StepSlice> slices;  // decodes first, then prefill chunks, then admissions
  std::vector<Rejection> rejected;
  std::int64_t preempted = 0;
  bool empty() const { return slices.empty(); }
  std::int64_t TotalTokens() const;
};

class Scheduler {
 public:
  // Throws infermeter::Error when a limit is below 1. `cache` must outlive the scheduler.
  Scheduler(SchedulerConfig config, KvCache& cache);

  // Queues a new sequence (state kWaiting, empty kv, tokens = its prompt).
  void Add(std::unique_ptr<Sequence> seq);
  // Chooses this step's work and reserves its cache. Slices point at running sequences, which
  // stay valid until Finish or Cancel.
  StepPlan Plan();
  // After the model ran the plan: commits each slice's cache entries (before the engine
  // appends sampled tokens).
  void Complete(const StepPlan& plan);
  // Removes a running sequence, releasing its cache (full blocks stay in the prefix cache).
  std::unique_ptr<Sequence> Finish(Sequence* seq);
  // Removes a waiting or running sequence; nullptr when the id is unknown.
  std::unique_ptr<Sequence> Cancel(RequestId id);

  std::int64_t running() const { return static_cast<std::int64_t>(running_.size()); }
  std::int64_t waiting() const { return static_cast<std::int64_t>(waiting_.size()); }
  std::int64_t preemptions() const { return preemptions_; }
  bool idle() const { return running_.empty() && waiting_.empty(); }

 private:
  // Reserves cache for seq up to `wanted_end` positions, or at least `min_end` when less fits,
  // preempting newer unscheduled sequences as needed. Returns the end reserved, or 0 when seq
  // itself was preempted or rejected.
  std::int64_t Grow(Sequence* seq, std::int64_t wanted_end, std::int64_t min_end, StepPlan& plan);
  void Preempt(Sequence* seq, StepPlan& plan);
  void Reject(Sequence* seq, std::string reason, StepPlan& plan);
  bool InPlan(const Sequence* seq) const;
  std::unique_ptr<Sequence> TakeRunning(const Sequence* seq);
  void AddSlice(Sequence* seq, std::int64_t end, StepPlan& plan);

  SchedulerConfig config_;
  KvCache& cache_;
  std::vector<std::unique_ptr<Sequence>> running_;  // in admission order, oldest first
  std::deque<std::unique_ptr<Sequence>> waiting_;
  std::vector<const Sequence*> in_plan_;  // sequences with a slice in the plan
  std::int64_t admissions_ = 0;
  std::int64_t preemptions_ = 0;
};

}  // namespace infermeter::engines::reference
