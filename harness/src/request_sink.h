#pragma once
// Per-request measurement: the ResponseSink the load generator gives the engine with each
// request. It stamps every chunk with the harness clock on arrival and, when the request ends,
// posts the whole record to the scheduler's inbox. It does nothing else on the engine's thread:
// no allocation per chunk beyond the reserved vector, no I/O.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "infermeter/core/engine.h"
#include "infermeter/results/records.h"

namespace infermeter::harness {

// A finished request on its way back to the scheduler.
struct Completion {
  std::size_t flat = 0;  // the turn's index in the load generator
  bool warmup = false;
  results::RequestRecord record;
};

// Where sinks post finished requests. Shared by the load generator and every sink, so a sink the
// engine still holds after a run ended finds the inbox closed instead of a dead generator.
struct CompletionInbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Completion> finished;  // guarded by mutex
  bool closed = false;               // guarded by mutex: the run is over, drop late arrivals
  std::atomic<std::int64_t> output_tokens{0};  // every chunk's tokens, for progress

  void Post(Completion completion);
  void Close();
};

class RequestSink final : public ResponseSink {
 public:
  RequestSink(std::shared_ptr<CompletionInbox> inbox, std::size_t flat, bool warmup,
              results::RequestRecord record);

  // Called by the scheduler right before Submit, before any chunk can arrive.
  void MarkSent(std::int64_t sent_ns) { record_.sent_ns = sent_ns; }

  void OnChunk(const EngineChunk& chunk) override;
  void OnFinish(const EngineFinish& finish) override;
  void OnError(const EngineFailure& failure) override;

  // For a request the engine never reported back: takes what was recorded so far, and makes
  // any later callback a no-op. Empty when the request has already ended.
  std::optional<results::RequestRecord> Abandon();

 private:
  void End(std::int64_t done_ns);  // REQUIRES: mutex_ held
  // Fills the fields derived from the chunks seen so far. REQUIRES: mutex_ held
  void FillChunkFacts();

  std::shared_ptr<CompletionInbox> inbox_;
  const std::size_t flat_;
  const bool warmup_;
  std::mutex mutex_;  // the engine's callbacks against Abandon(); never contended otherwise
  bool ended_ = false;
  std::int64_t counted_tokens_ = 0;
  // Tokens of the chunks the engine marked as reasoning output; the record's reasoning_tokens
  // when the engine's usage does not count them.
  std::int64_t reasoning_chunk_tokens_ = 0;
  std::optional<std::int64_t> first_visible_ns_;  // first token chunk not marked reasoning
  results::RequestRecord record_;
};

}  // namespace infermeter::harness
