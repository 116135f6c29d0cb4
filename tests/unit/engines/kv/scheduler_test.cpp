// The scheduler on a real KvCache: decode-first ordering, the token budget, chunked prefill,
// the running cap, FCFS admission, preemption with recompute, rejection and cancellation.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "infermeter/core/error.h"
#include "kv_test_util.h"
#include "scheduler.h"

namespace infermeter::engines::reference {
namespace {

using testing::DefaultLayout;
using testing::ExpectConsistent;
using testing::Prompt;

constexpr std::int64_t kMiB = 1 << 20;

// The token "sampled" after `position`: deterministic, so recomputation cannot change it.
TokenId NextToken(const Sequence& seq, std::int64_t position) {
  return static_cast<TokenId>((seq.request.id.value * 31 + position * 17) % 1000 + 3);
}

// Drives a Scheduler the way the engine does: plan, run (nothing to compute here), complete,
// sample after slices that want logits, finish sequences at max_output_tokens.
class Driver {
 public:
  Driver(KvLayout layout, std::int64_t budget, SchedulerConfig config)
      : cache_(std::move(layout), budget, true), scheduler_(config, cache_), config_(config) {}

  Sequence* Add(std::int64_t id, std::int64_t prompt_tokens, std::int64_t max_output,
                std::int32_t seed = 0) {
    auto seq = std::make_unique<Sequence>();
    seq->request.id = RequestId(id);
    seq->request.max_output_tokens = max_output;
    seq->tokens = Prompt(prompt_tokens, seed == 0 ? static_cast<std::int32_t>(id) : seed);
    seq->prompt_tokens = prompt_tokens;
    Sequence* raw = seq.get();
    scheduler_.Add(std::move(seq));
    return raw;
  }

  StepPlan Step() {
    StepPlan plan = scheduler_.Plan();
    EXPECT_LE(plan.TotalTokens(), config_.max_step_tokens);
    EXPECT_LE(scheduler_.running(), config_.max_running_requests);
    for (const auto& slice : plan.slices) {
      EXPECT_GT(slice.count, 0);
      EXPECT_EQ(slice.start, slice.seq->kv.written_tokens);
      EXPECT_GE(slice.seq->kv.tokens, slice.start + slice.count);
    }
    scheduler_.Complete(plan);
    for (const auto& slice : plan.slices) {
      Sequence* seq = slice.seq;
      if (!slice.want_logits) continue;
      const auto position = static_cast<std::int64_t>(seq->tokens.size());
      seq->tokens.push_back(NextToken(*seq, position));
      ++seq->generated_tokens;
      if (seq->generated_tokens >= seq->request.max_output_tokens) {
        finished_.push_back(scheduler_.Finish(seq));
      }
    }
    for (auto& r : plan.rejected) rejected_.push_back(std::move(r));
    ExpectConsistent(cache_);
    return plan;
  }

  // Steps until nothing is left; returns the number of steps.
  int RunToEnd(int max_steps = 10000) {
    int steps = 0;
    while (!scheduler_.idle() && steps < max_steps) {
      Step();
      ++steps;
    }
    EXPECT_TRUE(scheduler_.idle());
    return steps;
  }

  KvCache& cache() { return cache_; }
  Scheduler& scheduler() { return scheduler_; }
  std::vector<std::unique_ptr<Sequence>>& finished() { return finished_; }
  std::vector<Rejection>& rejected() { return rejected_; }

 private:
  KvCache cache_;
  Scheduler scheduler_;
  SchedulerConfig config_;
  std::vector<std::unique_ptr<Sequence>> finished_;
  std::vector<Rejection> rejected_;
};

KvLayout Small() { return DefaultLayout("v3-mini", 16); }

TEST(Scheduler, ChunkedPrefillSpansStepsWithinTheTokenBudget) {
  Driver d(Small(), 64 * kMiB, {.max_running_requests = 4, .max_step_tokens = 32});
  Sequence* seq = d.Add(1, 100, 2);
  std::vector<std::int64_t> counts;
  std::vector<bool> logits;
  for (int i = 0; i < 4; ++i) {
    const StepPlan plan = d.Step();
    ASSERT_EQ(plan.slices.size(), 1u);
    counts.push_back(plan.slices[0].count);
    logits.push_back(plan.slices[0].want_logits);
  }
  EXPECT_EQ(counts, (std::vector<std::int64_t>{32, 32, 32, 4}));
  EXPECT_EQ(logits, (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(seq->tokens.size(), 101u);
  d.RunToEnd();
  ASSERT_EQ(d.finished().size(), 1u);
  EXPECT_EQ(d.finished()[0]->tokens.size(), 102u);
}

TEST(Scheduler, DecodesFirstThenPrefillsThenAdmissions) {
  Driver d(Small(), 64 * kMiB, {.max_running_requests = 8, .max_step_tokens = 64});
  Sequence* a = d.Add(1, 20, 50);
  d.Step();  // a's whole prompt
  Sequence* b = d.Add(2, 100, 50);
  StepPlan plan = d.Step();
  ASSERT_EQ(plan.slices.size(), 2u);
  EXPECT_EQ(plan.slices[0].seq, a);
  EXPECT_EQ(plan.slices[0].count, 1);
  EXPECT_TRUE(plan.slices[0].want_logits);
  EXPECT_EQ(plan.slices[1].seq, b);
  EXPECT_EQ(plan.slices[1].count, 63);
  Sequence* c = d.Add(3, 10, 50);
  plan = d.Step();
  ASSERT_EQ(plan.slices.size(), 3u);
  EXPECT_EQ(plan.slices[0].seq, a);  // decode
  EXPECT_EQ(plan.slices[1].seq, b);  // the rest of b's prompt
  EXPECT_EQ(plan.slices[1].count, 37);
  EXPECT_TRUE(plan.slices[1].want_logits);
  EXPECT_EQ(plan.slices[2].seq, c);  // admitted with what is left of the budget
  EXPECT_EQ(plan.slices[2].count, 10);
  plan = d.Step();
  ASSERT_EQ(plan.slices.size(), 3u);
  for (const auto& slice : plan.slices) EXPECT_EQ(slice.count, 1);
}

TEST(Scheduler, RunningCapAndFirstComeFirstServed) {
  Driver d(Small(), 64 * kMiB, {.max_running_requests = 2, .max_step_tokens = 32});
  Sequence* a = d.Add(1, 40, 3);
  Sequence* b = d.Add(2, 5, 3);
  Sequence* c = d.Add(3, 5, 3);
  StepPlan plan = d.Step();
  // a takes the whole budget: b waits although it is small.
  ASSERT_EQ(plan.slices.size(), 1u);
  EXPECT_EQ(plan.slices[0].seq, a);
  EXPECT_EQ(d.scheduler().waiting(), 2);
  plan = d.Step();  // a's last 8 prompt tokens, then b
  ASSERT_EQ(plan.slices.size(), 2u);
  EXPECT_EQ(plan.slices[1].seq, b);
  EXPECT_EQ(d.scheduler().running(), 2);
  EXPECT_EQ(d.scheduler().waiting(), 1);  // c: the cap is 2
  EXPECT_LT(a->admitted_order, b->admitted_order);
  d.RunToEnd();
  EXPECT_EQ(d.finished().size(), 3u);
  EXPECT_LT(b->admitted_order, c->admitted_order);
}

// When the cache cannot take the queue's head, nothing behind it is admitted either.
TEST(Scheduler, AdmissionWaitsForTheHeadWhenTheCacheIsFull) {
  const KvLayout layout = Small();
  Driver d(layout, 3 * layout.persistent_block_bytes,
           {.max_running_requests = 8, .max_step_tokens = 512});
  d.Add(1, 40, 4);  // three blocks: all of the budget
  d.Step();
  Sequence* b = d.Add(2, 5, 2);
  Sequence* c = d.Add(3, 5, 2);
  for (int i = 0; i < 3; ++i) {
    const StepPlan plan = d.Step();
    ASSERT_EQ(plan.slices.size(), 1u);  // only the running sequence decodes
    EXPECT_EQ(d.scheduler().waiting(), 2);
  }
  EXPECT_EQ(d.finished().size(), 1u);  // the first sequence is done and its blocks cached
  const StepPlan plan = d.Step();
  ASSERT_EQ(plan.slices.size(), 2u);
  EXPECT_EQ(plan.slices[0].seq, b);
  EXPECT_EQ(plan.slices[1].seq, c);
  d.RunToEnd();
  EXPECT_EQ(d.finished().size(), 3u);
}

// A preempted sequence waits ahead of everything that was already waiting.
TEST(Scheduler, PreemptedSequenceGoesToTheFrontOfTheQueue) {
  const KvLayout layout = Small();
  Driver d(layout, 4 * layout.persistent_block_bytes,
           {.max_running_requests = 2, .max_step_tokens = 512});
  Sequence* a = d.Add(1, 4, 40);
  Sequence* b = d.Add(2, 4, 40);
  Sequence* c = d.Add(3, 4, 2);  // waits: the cap is 2
  while (d.scheduler().preemptions() == 0 && !d.scheduler().idle()) d.Step();
  EXPECT_EQ(b->state, Sequence::State::kWaiting);  // b, the newer, was preempted
  EXPECT_EQ(a->state, Sequence::State::kRunning);
  EXPECT_EQ(c->state, Sequence::State::kWaiting);
  d.RunToEnd();
  EXPECT_EQ(d.finished().size(), 3u);
  EXPECT_LT(b->admitted_order, c->admitted_order);  // b's readmission came first
}

// Three sequences that cannot all grow to their final length in the budget: the newest is
// preempted, recomputed later from its tokens (prefix cache helping), and all finish with the
// same tokens they would have produced alone.
TEST(Scheduler, PreemptsTheNewestAndRecomputes) {
  for (const char* name : {"v3-mini", "tiny"}) {
    SCOPED_TRACE(name);
    const std::int64_t B = std::string(name) == "tiny" ? 128 : 16;
    const KvLayout layout = DefaultLayout(name, B);
    const std::int64_t prompt = 4;  // all three fit at first, with one block each
    const std::int64_t output = 3 * B;
    // Room for two sequences at full length, not three.
    KvCache probe(layout, 1ll << 40, false);
    const std::int64_t budget =
        2 * probe.BytesForSequence(prompt + output) + layout.persistent_block_bytes;
    Driver d(layout, budget, {.max_running_requests = 8, .max_step_tokens = 4 * B});
    std::vector<Sequence*> seqs;
    for (int i = 1; i <= 3; ++i) seqs.push_back(d.Add(i, prompt, output));

    std::int64_t first_victim_order = -1;
    bool checked = false;
    for (int step = 0; step < 5000 && !d.scheduler().idle(); ++step) {
      std::vector<std::pair<Sequence*, std::int64_t>> orders;
      for (Sequence* s : seqs) {
        if (s->state == Sequence::State::kRunning) orders.emplace_back(s, s->admitted_order);
      }
      const std::int64_t before = d.scheduler().preemptions();
      d.Step();
      if (!checked && d.scheduler().preemptions() > before) {
        checked = true;
        // The first victim is the newest of those running before the step.
        const auto newest = std::max_element(orders.begin(), orders.end(),
                                             [](auto& x, auto& y) { return x.second < y.second; });
        ASSERT_NE(newest, orders.end());
        Sequence* victim = newest->first;
        EXPECT_EQ(victim->preemptions, 1);
        EXPECT_EQ(victim->state, Sequence::State::kWaiting);
        EXPECT_TRUE(victim->kv.blocks.empty());
        EXPECT_GT(victim->generated_tokens, 0);  // its generated tokens wait to be recomputed
        EXPECT_EQ(static_cast<std::int64_t>(victim->tokens.size()),
                  prompt + victim->generated_tokens);
        first_victim_order = newest->second;
      }
    }
    EXPECT_TRUE(checked) << "no preemption happened";
    EXPECT_GE(first_victim_order, 3);
    ASSERT_EQ(d.finished().size(), 3u);
    EXPECT_TRUE(d.rejected().empty());
    for (const auto& seq : d.finished()) {
      ASSERT_EQ(static_cast<std::int64_t>(seq->tokens.size()), prompt + output);
      EXPECT_EQ(seq->cached_prompt_tokens, 0);  // first admission found nothing
      for (std::int64_t p = prompt; p < prompt + output; ++p) {
        EXPECT_EQ(seq->tokens[static_cast<std::size_t>(p)], NextToken(*seq, p));
      }
    }
    // Recomputation reused the victim's cached blocks. (V4: the space the older sequence
    // needed came from the victim's last block, the window part a hit must end on.)
    if (!layout.has_window()) {
      EXPECT_GT(d.cache().Stats().hit_tokens, 0);
    }
  }
}

TEST(Scheduler, RejectsWhatCanNeverFit) {
  const KvLayout layout = Small();
  Driver d(layout, 6 * layout.persistent_block_bytes,
           {.max_running_requests = 8, .max_step_tokens = 512});
  d.Add(1, 200, 4);  // 13 blocks
  Sequence* fits = d.Add(2, 20, 4);
  const StepPlan plan = d.Step();
  ASSERT_EQ(d.rejected().size(), 1u);
  EXPECT_EQ(d.rejected()[0].seq->request.id, RequestId(1));
  EXPECT_NE(d.rejected()[0].reason.find("context of 200 tokens"), std::string::npos)
      << d.rejected()[0].reason;
  EXPECT_NE(d.rejected()[0].reason.find("budget is"), std::string::npos);
  ASSERT_EQ(plan.slices.size(), 1u);
  EXPECT_EQ(plan.slices[0].seq, fits);
}

TEST(Scheduler, RejectsASequenceThatOutgrowsTheBudgetAlone) {
  const KvLayout layout = Small();
  Driver d(layout, 2 * layout.persistent_block_bytes,
           {.max_running_requests = 8, .max_step_tokens = 512});
  d.Add(1, 20, 100);
  d.RunToEnd();
  ASSERT_EQ(d.rejected().size(), 1u);
  EXPECT_NE(d.rejected()[0].reason.find("context of 33 tokens"), std::string::npos)
      << d.rejected()[0].reason;
  EXPECT_EQ(d.rejected()[0].seq->state, Sequence::State::kFinished);
  EXPECT_EQ(d.cache().Stats().cached_blocks * layout.persistent_block_bytes,
            d.cache().Stats().allocated_bytes);
}

TEST(Scheduler, LimitsBelowOneAreErrors) {
  KvCache cache(Small(), 64 * kMiB, true);
  EXPECT_THROW(Scheduler({.max_running_requests = 0, .max_step_tokens = 8}, cache), Error);
  EXPECT_THROW(Scheduler({.max_running_requests = 1, .max_step_tokens = 0}, cache), Error);
  EXPECT_NO_THROW(Scheduler({.max_running_requests = 1, .max_step_tokens = 1}, cache));
}

TEST(Scheduler, CancelsFromEitherQueue) {
  Driver d(Small(), 64 * kMiB, {.max_running_requests = 1, .max_step_tokens = 64});
  d.Add(1, 40, 10);
  d.Add(2, 40, 10);
  d.Step();
  EXPECT_EQ(d.scheduler().running(), 1);
  EXPECT_EQ(d.scheduler().waiting(), 1);
  auto waiting = d.scheduler().Cancel(RequestId(2));
  ASSERT_NE(waiting, nullptr);
  EXPECT_EQ(waiting->state, Sequence::State::kFinished);
  EXPECT_EQ(d.scheduler().waiting(), 0);
  EXPECT_GT(d.cache().Stats().allocated_bytes -
                d.cache().Stats().cached_blocks * Small().persistent_block_bytes,
            0);
  auto running = d.scheduler().Cancel(RequestId(1));
  ASSERT_NE(running, nullptr);
  EXPECT_TRUE(running->kv.blocks.empty());
  EXPECT_EQ(d.scheduler().running(), 0);
  EXPECT_TRUE(d.scheduler().idle());
  // Only the cached full blocks of the cancelled sequence remain.
  EXPECT_EQ(d.cache().Stats().cached_blocks, 2);
  EXPECT_EQ(d.cache().Stats().allocated_bytes, 2 * Small().persistent_block_bytes);
  EXPECT_EQ(d.scheduler().Cancel(RequestId(7)), nullptr);
}

}  // namespace
}  // namespace infermeter::engines::reference
