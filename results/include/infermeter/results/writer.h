#pragma once
// ResultsWriter: the background writer every run's rows go through.
//
// Producers (the harness, collectors) hand over whole records with Add(); a dedicated thread
// with its own SQLite connection writes them in batches, one transaction per batch, never one
// commit per row. It commits at least every `flush_interval_ms` (default 200 ms, never more
// than 1 s), so a crash loses at most the last second of rows.
//
// Failures never lose what was handed over: a batch that fails for a transient reason (busy,
// I/O, disk full) is kept and retried at the next interval, and Flush()/Close() report the
// error; a row that violates a constraint (say, a duplicate request id) is skipped, counted and
// reported, and the rest of its batch is written.
//
// Thread-safety: Add() and Flush() may be called from any number of threads.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "infermeter/results/records.h"

namespace infermeter::results {

struct WriterSettings {
  std::int64_t flush_interval_ms = 200;  // clamped to [1, 1000]
  std::size_t batch_rows = 16384;        // wake the writer early once this many rows wait
  int busy_timeout_ms = 5000;            // how long a batch waits for another writer's lock
};

struct WriterStats {
  std::int64_t requests_written = 0;
  std::int64_t samples_written = 0;
  std::int64_t metrics_written = 0;
  std::int64_t rows_rejected = 0;  // rows skipped for a constraint violation
  std::int64_t transactions = 0;
  std::int64_t failed_transactions = 0;
  std::string last_error;  // "" if none
  // CPU time the writer thread spent writing batches (encoding, SQLite, commits): how much of one
  // core the writer needs, whatever else the machine is doing.
  std::int64_t write_cpu_ns = 0;
};

class ResultsWriter {
 public:
  // Opens its own connection to `db_path` (which ResultsStore::OpenForWriting has created and
  // migrated) and starts the writer thread. Throws Error if the file cannot be opened.
  explicit ResultsWriter(const std::string& db_path, WriterSettings settings = {});
  // Close()s, logging instead of throwing any error.
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  // Hand over a record. Cheap: a lock and a move. Add(RequestRecord) checks the chunk times first
  // and throws Error for times that go backwards (the only per-record check on this path).
  void Add(RequestRecord request);
  void Add(SampleRecord sample);
  void Add(RunMetric metric);

  // Blocks until every record added before the call is committed. Throws Error carrying the
  // writer's last error if that cannot happen (the records stay queued for retry).
  void Flush();
  // Flushes and stops the thread. Further Add() calls throw. Throws like Flush().
  void Close();

  WriterStats Stats() const;

 private:
  struct Batch {
    std::vector<RequestRecord> requests;
    std::vector<SampleRecord> samples;
    std::vector<RunMetric> metrics;
    std::size_t rows() const { return requests.size() + samples.size() + metrics.size(); }
    void clear() {
      requests.clear();
      samples.clear();
      metrics.clear();
    }
  };
  class Connection;  // the writer thread's SQLite connection and prepared statements

  void Enqueued(std::unique_lock<std::mutex>& lock);
  void Loop(Connection& connection);
  bool WriteBatch(Connection& connection, Batch& batch, WriterStats& delta);

  const std::string db_path_;
  const WriterSettings settings_;

  mutable std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable committed_;
  Batch pending_;              // guarded by mutex_
  std::uint64_t added_ = 0;    // records added so far
  std::uint64_t written_ = 0;  // records committed (or rejected) so far
  bool flush_requested_ = false;
  bool stopping_ = false;
  bool closed_ = false;
  bool thread_done_ = false;  // the writer thread has left its loop
  WriterStats stats_;
  std::thread thread_;
};

}  // namespace infermeter::results
