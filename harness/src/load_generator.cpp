#include "infermeter/harness/load_generator.h"

#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <queue>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "infermeter/core/log.h"
#include "request_sink.h"

namespace infermeter::harness {

std::string_view ToString(StopReason reason) {
  switch (reason) {
    case StopReason::kEndOfSource:
      return "end_of_source";
    case StopReason::kMaxRequests:
      return "max_requests";
    case StopReason::kMaxDuration:
      return "max_duration";
    case StopReason::kInterrupted:
      return "interrupted";
  }
  return "end_of_source";
}

void CheckLoadSettings(const LoadSettings& settings) {
  const auto bad = [](std::string field, std::string message) {
    throw InputError({.source = "<load settings>", .field = std::move(field)}, std::move(message));
  };
  if (settings.mode == LoadMode::kClosedLoop && !settings.max_concurrency) {
    bad("max_concurrency", "a closed loop needs a concurrency (requests in flight)");
  }
  if (settings.max_concurrency && *settings.max_concurrency < 1) {
    bad("max_concurrency", fmt::format("expected at least 1, got {}", *settings.max_concurrency));
  }
  if (settings.warmup_requests < 0) {
    bad("warmup_requests", fmt::format("expected >= 0, got {}", settings.warmup_requests));
  }
  if (settings.max_requests && *settings.max_requests < 1) {
    bad("max_requests", fmt::format("expected at least 1, got {}", *settings.max_requests));
  }
  if (settings.max_duration_ns && *settings.max_duration_ns <= 0) {
    bad("max_duration_ns", "expected a duration > 0");
  }
  if (settings.drain_timeout_ns < 0 || settings.cancel_timeout_ns < 0) {
    bad("drain_timeout_ns", "expected timeouts >= 0");
  }
}

namespace {

std::int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

MonotonicClock::time_point ToTimePoint(std::int64_t ns) {
  return MonotonicClock::time_point(std::chrono::nanoseconds(ns));
}

// Linux lets a sleeping thread wake up to 50 µs late by default ("timer slack"); the scheduler
// asks for the minimum while it runs and puts the old value back afterwards.
class TimerSlackGuard {
 public:
  TimerSlackGuard() : previous_(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  }
  ~TimerSlackGuard() {
    if (previous_ > 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(previous_), 0, 0, 0);
  }
  TimerSlackGuard(const TimerSlackGuard&) = delete;
  TimerSlackGuard& operator=(const TimerSlackGuard&) = delete;

 private:
  long previous_;
};

// The longest the scheduler sleeps without looking at the stop flag, which a signal handler
// sets without being able to wake a condition variable.
constexpr std::int64_t kStopPollNs = 20'000'000;

}  // namespace

class LoadGenerator::Impl {
 public:
  Impl(Engine& engine, const SampleSource& source, LoadSettings settings, RunId run,
       RequestObserver& observer)
      : engine_(engine),
        source_(source),
        settings_(settings),
        run_(run),
        observer_(observer),
        inbox_(std::make_shared<CompletionInbox>()) {
    CheckLoadSettings(settings_);
    IndexTurns();
  }

  ~Impl() { inbox_->Close(); }

  LoadOutcome Run(const std::atomic<bool>& stop) {
    TimerSlackGuard slack;
    const std::int64_t cpu_start_ns = ThreadCpuNs();
    start_ns_ = MonotonicNs();
    progress_start_ns_.store(start_ns_, std::memory_order_relaxed);
    last_slot_freed_ns_ = start_ns_;
    outcome_.start_ns = start_ns_;

    outcome_.stop_reason = SendLoop(stop);
    Drain(stop);
    outcome_.end_ns = MonotonicNs();
    outcome_.scheduler_cpu_ns = ThreadCpuNs() - cpu_start_ns;
    return outcome_;
  }

  LoadProgress Progress() const {
    LoadProgress p;
    p.planned_requests = planned_;
    p.sent_requests = sent_total_.load(std::memory_order_relaxed);
    p.finished_requests = finished_total_.load(std::memory_order_relaxed);
    p.failed_requests = failed_total_.load(std::memory_order_relaxed);
    p.in_flight_requests = p.sent_requests - p.finished_requests;
    p.output_tokens = inbox_->output_tokens.load(std::memory_order_relaxed);
    p.start_ns = progress_start_ns_.load(std::memory_order_relaxed);
    return p;
  }

 private:
  // What the scheduler knows of one turn (indexed by its flat position: sessions in order, turns
  // in order).
  struct Turn {
    std::int32_t session = 0;
    std::int32_t turn = 0;
    std::int32_t waiting_on = 0;  // predecessors not finished yet
    std::int64_t ready_ns = 0;    // latest predecessor end + think time
    bool sent = false;
    bool finished = false;
    std::int64_t request_id = 0;  // once sent
    std::vector<TokenId> prompt;  // built ahead of the send time, moved out at the send
    bool prompt_ready = false;
    std::weak_ptr<RequestSink> sink;  // once sent, to recover a request the engine never ends
  };

  // A turn that is due at `scheduled_ns` (min-heap by time, then by flat index for stable order).
  struct Due {
    std::int64_t scheduled_ns;
    std::size_t flat;
    bool operator>(const Due& other) const {
      return scheduled_ns != other.scheduled_ns ? scheduled_ns > other.scheduled_ns
                                                : flat > other.flat;
    }
  };

  // Flattens the sessions, counts each turn's predecessors and lists its dependents, and orders
  // the turns that have explicit arrival times.
  void IndexTurns() {
    const auto& sessions = source_.Sessions();
    session_base_.reserve(sessions.size());
    for (std::size_t s = 0; s < sessions.size(); ++s) {
      session_base_.push_back(turns_.size());
      for (std::size_t t = 0; t < sessions[s].turns.size(); ++t) {
        Turn turn;
        turn.session = static_cast<std::int32_t>(s);
        turn.turn = static_cast<std::int32_t>(t);
        turn.waiting_on = static_cast<std::int32_t>(sessions[s].turns[t].after_turns.size());
        turns_.push_back(std::move(turn));
      }
    }
    dependents_.resize(turns_.size());
    for (std::size_t s = 0; s < sessions.size(); ++s) {
      const auto& session_turns = sessions[s].turns;
      for (std::size_t t = 0; t < session_turns.size(); ++t) {
        for (const std::int32_t before : session_turns[t].after_turns) {
          if (before < 0 || static_cast<std::size_t>(before) >= t) {
            throw InputError(
                {.source = "<sample source>", .field = "after_turns"},
                fmt::format("session '{}' turn {} waits for turn {}, which is not an earlier turn",
                            sessions[s].id, t, before));
          }
          dependents_[session_base_[s] + before].push_back(session_base_[s] + t);
        }
      }
    }
    if (settings_.mode == LoadMode::kOpenLoop) {
      for (std::size_t i = 0; i < turns_.size(); ++i) {
        if (Sample(i).after_turns.empty()) explicit_order_.push_back(i);
      }
      std::stable_sort(explicit_order_.begin(), explicit_order_.end(),
                       [this](std::size_t a, std::size_t b) {
                         return Sample(a).arrival_offset_ns < Sample(b).arrival_offset_ns;
                       });
    }
    const auto total = static_cast<std::int64_t>(turns_.size());
    planned_ = settings_.max_requests
                   ? std::min(total, *settings_.max_requests + settings_.warmup_requests)
                   : total;
  }

  const SampleTurn& Sample(std::size_t flat) const {
    const Turn& t = turns_[flat];
    return source_.Sessions()[static_cast<std::size_t>(t.session)]
        .turns[static_cast<std::size_t>(t.turn)];
  }

  std::int64_t InFlight() const { return sent_count_ - finished_count_; }
  bool AtCap() const {
    return settings_.max_concurrency && InFlight() >= *settings_.max_concurrency;
  }

  // The earliest due turn, from the explicit arrivals and the released dependents.
  std::optional<Due> NextDue() {
    std::optional<Due> next;
    if (next_explicit_ < explicit_order_.size()) {
      const std::size_t flat = explicit_order_[next_explicit_];
      next = Due{start_ns_ + Sample(flat).arrival_offset_ns, flat};
    }
    if (!released_.empty() && (!next || *next > released_.top())) next = released_.top();
    return next;
  }

  void PopDue(const Due& due) {
    if (next_explicit_ < explicit_order_.size() && explicit_order_[next_explicit_] == due.flat) {
      ++next_explicit_;
    } else {
      released_.pop();
    }
  }

  // Closed loop: a new session starts when a slot is free and nothing else is due. Its turns
  // without predecessors are due at the moment the slot was freed.
  bool StartNextSession() {
    const auto& sessions = source_.Sessions();
    if (next_session_ >= sessions.size()) return false;
    const std::size_t s = next_session_++;
    for (std::size_t t = 0; t < sessions[s].turns.size(); ++t) {
      if (sessions[s].turns[t].after_turns.empty()) {
        released_.push(Due{last_slot_freed_ns_, session_base_[s] + t});
      }
    }
    return true;
  }

  // Takes finished requests from the inbox: hands them to the observer, frees their slots and
  // releases the turns that waited for them.
  void ProcessCompletions(std::unique_lock<std::mutex>& lock) {
    if (inbox_->finished.empty()) return;
    // Swapping with a vector kept between calls hands both their capacity back and forth, so
    // neither side allocates per completion once the run is under way.
    std::vector<Completion>& finished = taken_completions_;
    finished.swap(inbox_->finished);
    lock.unlock();
    for (Completion& c : finished) {
      Turn& turn = turns_[c.flat];
      turn.finished = true;
      ++finished_count_;
      finished_total_.fetch_add(1, std::memory_order_relaxed);
      if (c.record.status == results::RequestStatus::kError) {
        failed_total_.fetch_add(1, std::memory_order_relaxed);
      }
      const std::int64_t end_ns = c.record.done_ns.value_or(MonotonicNs());
      last_slot_freed_ns_ = std::max(last_slot_freed_ns_, end_ns);
      // Dependents of a request that failed or was cancelled still run: the session goes on,
      // as an agent would retry or continue; the failure is recorded on its own request.
      for (const std::size_t next : dependents_[c.flat]) {
        Turn& dependent = turns_[next];
        dependent.ready_ns = std::max(dependent.ready_ns, end_ns + Sample(next).think_time_ns);
        if (--dependent.waiting_on == 0 && !stop_sending_) {
          released_.push(Due{dependent.ready_ns, next});
        }
      }
      observer_.OnRequestFinished(std::move(c.record), c.warmup);
    }
    finished.clear();
    lock.lock();
  }

  // Waits until `deadline_ns` or until a request finishes, whichever is first.
  void WaitForCompletion(std::unique_lock<std::mutex>& lock, std::int64_t deadline_ns) {
    if (!inbox_->finished.empty()) return;
    inbox_->changed.wait_until(lock, ToTimePoint(deadline_ns));
  }

  bool MeasuredLimitReached() const {
    return settings_.max_requests && measured_sent_ >= *settings_.max_requests;
  }

  // Nothing is left to send: every turn has been sent (what is in flight is then drained, under
  // the drain timeout), or nothing is in flight and no turn can become due any more.
  bool SourceExhausted() const {
    if (sent_count_ == static_cast<std::int64_t>(turns_.size())) return true;
    if (InFlight() > 0 || !released_.empty()) return false;
    if (next_explicit_ < explicit_order_.size()) return false;
    if (settings_.mode == LoadMode::kClosedLoop && next_session_ < source_.Sessions().size()) {
      return false;
    }
    return true;
  }

  void PreparePrompt(std::size_t flat) {
    Turn& turn = turns_[flat];
    if (turn.prompt_ready) return;
    source_.BuildPrompt(static_cast<std::size_t>(turn.session), turn.turn, turn.prompt);
    turn.prompt_ready = true;
  }

  StopReason SendLoop(const std::atomic<bool>& stop) {
    const std::int64_t duration_end_ns =
        settings_.max_duration_ns ? start_ns_ + *settings_.max_duration_ns : INT64_MAX;
    bool held_by_cap = false;  // the current candidate waited for a free slot
    std::unique_lock lock(inbox_->mutex);
    while (true) {
      ProcessCompletions(lock);
      if (stop.load(std::memory_order_relaxed)) return StopReason::kInterrupted;
      if (MeasuredLimitReached()) return StopReason::kMaxRequests;
      const std::int64_t now_ns = MonotonicNs();
      if (now_ns >= duration_end_ns) return StopReason::kMaxDuration;

      if (settings_.mode == LoadMode::kClosedLoop && !AtCap()) {
        const auto due = NextDue();
        if (!due || due->scheduled_ns > now_ns) StartNextSession();
      }
      const auto due = NextDue();
      if (!due) {
        if (SourceExhausted()) return StopReason::kEndOfSource;
        WaitForCompletion(lock, std::min(duration_end_ns, now_ns + kStopPollNs));
        continue;
      }
      if (due->scheduled_ns <= now_ns && AtCap()) {
        held_by_cap = true;
        WaitForCompletion(lock, std::min(duration_end_ns, now_ns + kStopPollNs));
        continue;
      }
      // Build the prompt while there is time, so the send itself is cheap. Completions cannot
      // be posted while the lock is held, so it is let go only for the building.
      if (!turns_[due->flat].prompt_ready) {
        lock.unlock();
        PreparePrompt(due->flat);
        lock.lock();
      }
      const std::int64_t wake_ns = due->scheduled_ns - settings_.spin_window_ns;
      if (MonotonicNs() < wake_ns) {
        WaitForCompletion(lock, std::min({wake_ns, duration_end_ns, now_ns + kStopPollNs}));
        continue;  // something may have finished: look again
      }
      if (!inbox_->finished.empty()) continue;  // a finished request may free or release turns
      lock.unlock();
      const std::int64_t spin_start_ns = MonotonicNs();
      std::int64_t spin_now_ns = spin_start_ns;
      while (spin_now_ns < due->scheduled_ns) spin_now_ns = MonotonicNs();  // the spin window
      outcome_.scheduler_spin_ns += spin_now_ns - spin_start_ns;
      if (AtCap()) {  // cannot happen after the checks above; kept as a guard
        lock.lock();
        continue;
      }
      PopDue(*due);
      const std::int64_t released_ns =
          held_by_cap ? std::max(due->scheduled_ns, last_slot_freed_ns_) : due->scheduled_ns;
      held_by_cap = false;
      Send(due->flat, due->scheduled_ns, released_ns);
      lock.lock();
    }
  }

  void Send(std::size_t flat, std::int64_t scheduled_ns, std::int64_t released_ns) {
    Turn& turn = turns_[flat];
    const SampleTurn& sample = Sample(flat);
    const bool warmup = warmup_sent_ < settings_.warmup_requests;
    const std::int64_t request_id = ++next_request_id_;

    results::RequestRecord record;
    record.run_id = run_;
    record.request_id = request_id;
    record.session_id = source_.Sessions()[static_cast<std::size_t>(turn.session)].id;
    record.turn_index = turn.turn;
    record.scheduled_ns = scheduled_ns;
    record.released_ns = released_ns;
    record.input_tokens = sample.input_tokens;
    record.requested_output_tokens = sample.output_tokens;
    record.chunks.reserve(
        static_cast<std::size_t>(std::max<std::int64_t>(sample.output_tokens, 1)));

    EngineRequest request;
    request.id = RequestId(request_id);
    request.prompt_tokens = std::move(turn.prompt);
    request.max_output_tokens = sample.output_tokens;
    request.ignore_eos = settings_.ignore_eos;
    request.sampling = settings_.sampling;
    request.sampling.seed = settings_.sampling.seed + static_cast<std::uint64_t>(request_id);
    request.session_id = *record.session_id;
    turn.prompt = {};
    turn.sent = true;
    turn.request_id = request_id;
    ++sent_count_;
    sent_total_.fetch_add(1, std::memory_order_relaxed);
    if (warmup) {
      ++warmup_sent_;
      ++outcome_.warmup_requests;
    } else {
      ++measured_sent_;
      ++outcome_.sent_requests;
    }

    auto sink = std::make_shared<RequestSink>(inbox_, flat, warmup, std::move(record));
    turn.sink = sink;
    const std::int64_t sent_ns = MonotonicNs();
    sink->MarkSent(sent_ns);
    engine_.Submit(std::move(request), std::move(sink));
  }

  // After the last send: waits for in-flight requests (cancelling them at once when stopped,
  // or when the drain time runs out), then records any the engine never reported back.
  void Drain(const std::atomic<bool>& stop) {
    stop_sending_ = true;
    std::unique_lock lock(inbox_->mutex);
    const std::int64_t drain_end_ns = MonotonicNs() + settings_.drain_timeout_ns;
    std::int64_t cancel_end_ns = 0;
    bool cancelled = false;
    while (true) {
      ProcessCompletions(lock);
      if (InFlight() == 0) return;
      const std::int64_t now_ns = MonotonicNs();
      if (!cancelled && (stop.load(std::memory_order_relaxed) || now_ns >= drain_end_ns)) {
        if (stop.load(std::memory_order_relaxed)) {
          outcome_.stop_reason = StopReason::kInterrupted;  // stopped while draining
        } else {
          outcome_.cancelled_at_drain = InFlight();
          spdlog::warn("drain time over: cancelling {} requests still in flight", InFlight());
        }
        lock.unlock();
        CancelInFlight();
        lock.lock();
        cancelled = true;
        cancel_end_ns = MonotonicNs() + settings_.cancel_timeout_ns;
        continue;
      }
      if (cancelled && now_ns >= cancel_end_ns) break;
      WaitForCompletion(lock,
                        std::min(cancelled ? cancel_end_ns : drain_end_ns, now_ns + kStopPollNs));
    }
    // The engine did not answer the cancels in time: take those requests from their sinks
    // (later callbacks then do nothing) and record them, then pick up any that ended meanwhile.
    lock.unlock();
    RecordLost();
    lock.lock();
    ProcessCompletions(lock);
    inbox_->closed = true;
  }

  void CancelInFlight() {
    for (const Turn& turn : turns_) {
      if (turn.sent && !turn.finished) engine_.Cancel(RequestId(turn.request_id));
    }
  }

  void RecordLost() {
    const std::int64_t now_ns = MonotonicNs();
    for (std::size_t flat = 0; flat < turns_.size(); ++flat) {
      Turn& turn = turns_[flat];
      if (!turn.sent || turn.finished) continue;
      const auto sink = turn.sink.lock();
      std::optional<results::RequestRecord> taken = sink ? sink->Abandon() : std::nullopt;
      if (!taken) continue;  // it ended just now: its completion is in the inbox
      turn.finished = true;
      ++finished_count_;
      finished_total_.fetch_add(1, std::memory_order_relaxed);
      ++outcome_.lost_requests;
      results::RequestRecord record = std::move(*taken);
      record.status = results::RequestStatus::kCancelled;
      record.finish_reason = "cancelled";
      record.error_class = "no_answer_after_cancel";
      record.error_message = "the engine did not report the request back after it was cancelled";
      record.done_ns = now_ns;
      observer_.OnRequestFinished(std::move(record), false);
    }
  }

  Engine& engine_;
  const SampleSource& source_;
  const LoadSettings settings_;
  const RunId run_;
  RequestObserver& observer_;
  std::shared_ptr<CompletionInbox> inbox_;
  std::vector<Completion> taken_completions_;  // ProcessCompletions' side of the swap

  std::vector<Turn> turns_;
  std::vector<std::size_t> session_base_;
  std::vector<std::vector<std::size_t>> dependents_;
  std::vector<std::size_t> explicit_order_;  // open loop: turns with arrival times, by time
  std::size_t next_explicit_ = 0;
  std::size_t next_session_ = 0;  // closed loop
  std::priority_queue<Due, std::vector<Due>, std::greater<>> released_;

  std::int64_t start_ns_ = 0;
  std::int64_t last_slot_freed_ns_ = 0;
  std::int64_t sent_count_ = 0;
  std::int64_t finished_count_ = 0;
  std::int64_t warmup_sent_ = 0;
  std::int64_t measured_sent_ = 0;
  std::int64_t next_request_id_ = 0;
  bool stop_sending_ = false;
  std::int64_t planned_ = 0;
  LoadOutcome outcome_;

  std::atomic<std::int64_t> sent_total_{0};
  std::atomic<std::int64_t> finished_total_{0};
  std::atomic<std::int64_t> failed_total_{0};
  std::atomic<std::int64_t> progress_start_ns_{0};
};

LoadGenerator::LoadGenerator(Engine& engine, const SampleSource& source, LoadSettings settings,
                             RunId run, RequestObserver& observer)
    : impl_(std::make_unique<Impl>(engine, source, settings, run, observer)) {}

LoadGenerator::~LoadGenerator() = default;

LoadOutcome LoadGenerator::Run(const std::atomic<bool>& stop) { return impl_->Run(stop); }

LoadProgress LoadGenerator::Progress() const { return impl_->Progress(); }

}  // namespace infermeter::harness
