#include "scheduler.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"

namespace infermeter::engines::reference {

std::int64_t StepPlan::TotalTokens() const {
  std::int64_t total = 0;
  for (const auto& slice : slices) total += slice.count;
  return total;
}

Scheduler::Scheduler(SchedulerConfig config, KvCache& cache) : config_(config), cache_(cache) {
  if (config.max_running_requests < 1 || config.max_step_tokens < 1) {
    throw Error(fmt::format(
        "scheduler needs max_running_requests >= 1 and max_step_tokens >= 1, got {} and {}",
        config.max_running_requests, config.max_step_tokens));
  }
}

void Scheduler::Add(std::unique_ptr<Sequence> seq) {
  seq->state = Sequence::State::kWaiting;
  waiting_.push_back(std::move(seq));
}

bool Scheduler::InPlan(const Sequence* seq) const {
  return std::find(in_plan_.begin(), in_plan_.end(), seq) != in_plan_.end();
}

std::unique_ptr<Sequence> Scheduler::TakeRunning(const Sequence* seq) {
  const auto it = std::find_if(running_.begin(), running_.end(),
                               [&](const auto& owned) { return owned.get() == seq; });
  if (it == running_.end()) return nullptr;
  std::unique_ptr<Sequence> owned = std::move(*it);
  running_.erase(it);
  return owned;
}

void Scheduler::AddSlice(Sequence* seq, std::int64_t end, StepPlan& plan) {
  const std::int64_t start = seq->kv.written_tokens;
  plan.slices.push_back({.seq = seq,
                         .start = start,
                         .count = end - start,
                         .want_logits = end == static_cast<std::int64_t>(seq->tokens.size())});
  in_plan_.push_back(seq);
}

void Scheduler::Preempt(Sequence* seq, StepPlan& plan) {
  std::unique_ptr<Sequence> owned = TakeRunning(seq);
  cache_.Release(owned->kv);  // its full blocks stay cached: recompute starts from them
  owned->state = Sequence::State::kWaiting;
  ++owned->preemptions;
  ++preemptions_;
  ++plan.preempted;
  waiting_.push_front(std::move(owned));
}

void Scheduler::Reject(Sequence* seq, std::string reason, StepPlan& plan) {
  std::unique_ptr<Sequence> owned = TakeRunning(seq);
  if (owned == nullptr) {
    const auto it = std::find_if(waiting_.begin(), waiting_.end(),
                                 [&](const auto& w) { return w.get() == seq; });
    owned = std::move(*it);
    waiting_.erase(it);
  }
  cache_.Release(owned->kv);
  owned->state = Sequence::State::kFinished;
  plan.rejected.push_back({std::move(owned), std::move(reason)});
}

std::int64_t Scheduler::Grow(Sequence* seq, std::int64_t wanted_end, std::int64_t min_end,
                             StepPlan& plan) {
  while (true) {
    if (cache_.Reserve(seq->kv, wanted_end)) return wanted_end;
    // Less than asked still makes progress (a prefill chunk cut at a block end).
    if (const std::int64_t fits = cache_.ReservableTokens(seq->kv); fits >= min_end) {
      const std::int64_t end = std::min(wanted_end, fits);
      if (cache_.Reserve(seq->kv, end)) return end;
    }
    // Victim: the most recently admitted running sequence not yet given work this step.
    Sequence* victim = nullptr;
    for (auto it = running_.rbegin(); it != running_.rend(); ++it) {
      if (!InPlan(it->get())) {
        victim = it->get();
        break;
      }
    }
    if (victim != nullptr && victim != seq) {
      Preempt(victim, plan);
      continue;
    }
    if (running_.size() == 1) {
      // Alone and still out of room: this context can never fit the budget.
      Reject(seq,
             fmt::format("context of {} tokens needs {} bytes of KV cache; budget is {}",
                         wanted_end, cache_.BytesForSequence(wanted_end), cache_.budget_bytes()),
             plan);
    } else {
      Preempt(seq, plan);
    }
    return 0;
  }
}

StepPlan Scheduler::Plan() {
  StepPlan plan;
  in_plan_.clear();
  std::int64_t budget = config_.max_step_tokens;

  // (a) Decodes, oldest first: one position each. (b) Prefills continue in chunks. A sequence
  // may have been preempted by an older one earlier in this loop, so check it still runs.
  std::vector<Sequence*> decoding;
  std::vector<Sequence*> prefilling;
  for (const auto& seq : running_) {
    const std::int64_t pending = seq->PendingTokens();
    if (pending == 1) decoding.push_back(seq.get());
    if (pending > 1) prefilling.push_back(seq.get());
  }
  for (Sequence* seq : decoding) {
    if (budget <= 0) break;
    if (seq->state != Sequence::State::kRunning) continue;
    const auto end = static_cast<std::int64_t>(seq->tokens.size());
    if (Grow(seq, end, end, plan) == end) {
      AddSlice(seq, end, plan);
      budget -= 1;
    }
  }
  for (Sequence* seq : prefilling) {
    if (budget <= 0) break;
    if (seq->state != Sequence::State::kRunning) continue;
    const std::int64_t start = seq->kv.written_tokens;
    const std::int64_t wanted =
        std::min(static_cast<std::int64_t>(seq->tokens.size()), start + budget);
    if (const std::int64_t end = Grow(seq, wanted, start + 1, plan); end > start) {
      AddSlice(seq, end, plan);
      budget -= end - start;
    }
  }

  // (c) Admissions, first come first served; the queue's head blocks the rest.
  while (!waiting_.empty() && budget > 0 &&
         static_cast<std::int64_t>(running_.size()) < config_.max_running_requests) {
    Sequence* seq = waiting_.front().get();
    const auto context = static_cast<std::int64_t>(seq->tokens.size());
    if (context == 0) {
      Reject(seq, "empty prompt", plan);
      continue;
    }
    if (const std::int64_t need = cache_.BytesForSequence(context); need > cache_.budget_bytes()) {
      Reject(seq,
             fmt::format("context of {} tokens needs {} bytes of KV cache; budget is {}", context,
                         need, cache_.budget_bytes()),
             plan);
      continue;
    }
    if (!cache_.Admit(seq->kv, seq->tokens)) break;
    const std::int64_t start = seq->kv.written_tokens;
    // Admit guarantees room for at least the block of the first position to compute.
    const std::int64_t end = std::min({context, start + budget, cache_.ReservableTokens(seq->kv)});
    if (end <= start || !cache_.Reserve(seq->kv, end)) {
      cache_.Release(seq->kv);
      break;
    }
    if (!seq->first_admission_done) {
      seq->cached_prompt_tokens = std::min(seq->kv.cached_tokens, seq->prompt_tokens);
      seq->first_admission_done = true;
      seq->first_scheduled_ns = MonotonicNs();
    }
    seq->state = Sequence::State::kRunning;
    seq->admitted_order = ++admissions_;
    running_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
    AddSlice(seq, end, plan);
    budget -= end - start;
  }
  return plan;
}

void Scheduler::Complete(const StepPlan& plan) {
  for (const auto& slice : plan.slices) {
    cache_.Commit(slice.seq->kv, slice.seq->tokens, slice.start + slice.count);
  }
}

std::unique_ptr<Sequence> Scheduler::Finish(Sequence* seq) {
  std::unique_ptr<Sequence> owned = TakeRunning(seq);
  if (owned == nullptr) return nullptr;
  cache_.Release(owned->kv);
  owned->state = Sequence::State::kFinished;
  return owned;
}

std::unique_ptr<Sequence> Scheduler::Cancel(RequestId id) {
  std::unique_ptr<Sequence> owned;
  const auto in_waiting = std::find_if(waiting_.begin(), waiting_.end(),
                                       [&](const auto& w) { return w->request.id == id; });
  if (in_waiting != waiting_.end()) {
    owned = std::move(*in_waiting);
    waiting_.erase(in_waiting);
  } else {
    const auto in_running = std::find_if(running_.begin(), running_.end(),
                                         [&](const auto& r) { return r->request.id == id; });
    if (in_running == running_.end()) return nullptr;
    owned = std::move(*in_running);
    running_.erase(in_running);
  }
  cache_.Release(owned->kv);
  owned->state = Sequence::State::kFinished;
  return owned;
}

}  // namespace infermeter::engines::reference
