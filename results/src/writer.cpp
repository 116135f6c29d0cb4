#include "infermeter/results/writer.h"

#include <sqlite3.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "infermeter/results/chunk_codec.h"
#include "infermeter/results/sqlite.h"
#include "infermeter/results/store.h"

namespace infermeter::results {

// The writer thread's connection with its statements prepared once.
class ResultsWriter::Connection {
 public:
  Connection(const std::string& path, int busy_timeout_ms)
      : db_(OpenConfigured(path, busy_timeout_ms)),
        insert_request_(Prepare(db_,
                                "INSERT INTO requests (run_id, request_id, session_id, turn_index, "
                                "scheduled_ns, sent_ns, first_token_ns, last_token_ns, done_ns, "
                                "input_tokens, cached_tokens, output_tokens, "
                                "requested_output_tokens, finish_reason, status, error_class, "
                                "error_message, released_ns, engine_queue_ns, connected_ns, "
                                "first_byte_ns, first_visible_token_ns, reasoning_tokens) "
                                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")),
        insert_chunks_(Prepare(db_,
                               "INSERT INTO request_chunks (run_id, request_id, chunk_count, data) "
                               "VALUES (?,?,?,?)")),
        insert_sample_(Prepare(db_,
                               "INSERT INTO samples (run_id, time_ns, source, metric, labels, "
                               "value) VALUES (?,?,?,?,?,?)")),
        find_run_(Prepare(db_, "SELECT 1 FROM runs WHERE id = ?")),
        upsert_metric_(Prepare(db_,
                               "INSERT INTO run_metrics (run_id, name, value, unit) VALUES "
                               "(?,?,?,?) ON CONFLICT (run_id, name) DO UPDATE SET "
                               "value = excluded.value, unit = excluded.unit")) {}

  Database& db() { return db_; }

  void Insert(const RequestRecord& r) {
    RequireRun(r.run_id);
    Statement& s = insert_request_;
    s.Reset();
    s.Bind(1, r.run_id.value);
    s.Bind(2, r.request_id);
    s.Bind(3, r.session_id);
    if (r.turn_index) {
      s.Bind(4, static_cast<std::int64_t>(*r.turn_index));
    } else {
      s.BindNull(4);
    }
    s.Bind(5, r.scheduled_ns);
    s.Bind(6, r.sent_ns);
    s.Bind(7, r.first_token_ns);
    s.Bind(8, r.last_token_ns);
    s.Bind(9, r.done_ns);
    s.Bind(10, r.input_tokens);
    s.Bind(11, r.cached_tokens);
    s.Bind(12, r.output_tokens);
    s.Bind(13, r.requested_output_tokens);
    BindOptionalText(s, 14, r.finish_reason);
    s.Bind(15, ToString(r.status));
    BindOptionalText(s, 16, r.error_class);
    BindOptionalText(s, 17, r.error_message);
    s.Bind(18, r.released_ns);
    s.Bind(19, r.engine_queue_ns);
    s.Bind(20, r.connected_ns);
    s.Bind(21, r.first_byte_ns);
    s.Bind(22, r.first_visible_token_ns);
    s.Bind(23, r.reasoning_tokens);
    s.Run();
    if (r.chunks.empty()) return;

    EncodeValidatedChunkArrivals(r.chunks, ChunkBaseNs(r), blob_);  // checked at Add()
    Statement& c = insert_chunks_;
    c.Reset();
    c.Bind(1, r.run_id.value);
    c.Bind(2, r.request_id);
    c.Bind(3, static_cast<std::int64_t>(r.chunks.size()));
    c.BindBlobNoCopy(4, blob_);
    c.Run();
  }

  void Insert(const SampleRecord& r) {
    RequireRun(r.run_id);
    Statement& s = insert_sample_;
    s.Reset();
    s.Bind(1, r.run_id.value);
    s.Bind(2, r.time_ns);
    s.Bind(3, r.source);
    s.Bind(4, r.metric);
    s.Bind(5, r.labels_json);
    s.Bind(6, r.value);
    s.Run();
  }

  void Insert(const RunMetric& r) {
    RequireRun(r.run_id);
    Statement& s = upsert_metric_;
    s.Reset();
    s.Bind(1, r.run_id.value);
    s.Bind(2, r.name);
    s.Bind(3, r.value);
    s.Bind(4, r.unit);
    s.Run();
  }

 private:
  static Database OpenConfigured(const std::string& path, int busy_timeout_ms) {
    Database db(path, OpenMode::kReadWrite, busy_timeout_ms);
    ConfigureConnection(db, /*writer=*/true);
    // A 64 MiB page cache holds a whole batch (16k requests with ~1 KB of chunk data each), so
    // SQLite never spills dirty pages to the WAL in the middle of a transaction.
    db.Execute("PRAGMA cache_size = -65536");
    // SQLite's foreign-key check costs a lookup in `runs` for every row; the writer checks each
    // run id once instead (RequireRun). Deletes elsewhere still cascade: that is decided by the
    // deleting connection, which has foreign keys on.
    db.Execute("PRAGMA foreign_keys = OFF");
    return db;
  }
  static Statement Prepare(Database& db, std::string_view sql) { return Statement(db, sql); }
  static void BindOptionalText(Statement& s, int index, const std::string& text) {
    if (text.empty()) {
      s.BindNull(index);
    } else {
      s.Bind(index, text);
    }
  }

  // Throws a foreign-key SqliteError (so the row is rejected, not the batch) for a run id that
  // is not in `runs`. Runs are never deleted while their writer runs, so a hit is remembered.
  void RequireRun(RunId run) {
    if (known_runs_.contains(run.value)) return;
    find_run_.Reset();
    find_run_.Bind(1, run.value);
    const bool found = find_run_.Step();
    // A SELECT left mid-way keeps its read snapshot after COMMIT: once another connection
    // commits, every later BEGIN IMMEDIATE would fail with SQLITE_BUSY_SNAPSHOT.
    find_run_.Reset();
    if (!found) {
      throw SqliteError(SQLITE_CONSTRAINT_FOREIGNKEY,
                        fmt::format("no run with id {} (rows must belong to a run started with "
                                    "ResultsStore::BeginRun)",
                                    run.value));
    }
    known_runs_.insert(run.value);
  }

  Database db_;
  Statement insert_request_;
  Statement insert_chunks_;
  Statement insert_sample_;
  Statement find_run_;
  Statement upsert_metric_;
  std::unordered_set<std::int64_t> known_runs_;
  std::vector<std::uint8_t> blob_;  // reused encoding buffer
};

namespace {

bool IsConstraintViolation(const SqliteError& e) { return (e.code() & 0xff) == SQLITE_CONSTRAINT; }

std::int64_t ThreadCpuNs() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

ResultsWriter::ResultsWriter(const std::string& db_path, WriterSettings settings)
    : db_path_(db_path), settings_(settings) {
  // Open in the caller's thread so a bad path fails here, not silently in the background.
  auto connection = std::make_unique<Connection>(db_path, settings.busy_timeout_ms);
  thread_ =
      std::thread([this, connection = std::move(connection)]() mutable { Loop(*connection); });
}

ResultsWriter::~ResultsWriter() {
  try {
    Close();
  } catch (const std::exception& e) {
    spdlog::error("results writer for '{}': {}", db_path_, e.what());
  }
}

void ResultsWriter::Enqueued(std::unique_lock<std::mutex>& lock) {
  ++added_;
  const bool wake = pending_.rows() == settings_.batch_rows;
  lock.unlock();
  if (wake) wake_writer_.notify_one();
}

void ResultsWriter::Add(RequestRecord request) {
  if (request.input_tokens < 0 || request.cached_tokens < 0 || request.output_tokens < 0 ||
      request.cached_tokens > request.input_tokens) {
    throw Error(fmt::format(
        "request {}: token counts must be >= 0 with cached <= input (input "
        "{}, cached {}, output {})",
        request.request_id, request.input_tokens, request.cached_tokens, request.output_tokens));
  }
  ValidateChunkArrivals(request.chunks, ChunkBaseNs(request));
  std::unique_lock lock(mutex_);
  if (closed_) throw Error(fmt::format("results writer for '{}' is closed", db_path_));
  pending_.requests.push_back(std::move(request));
  Enqueued(lock);
}

void ResultsWriter::Add(SampleRecord sample) {
  std::unique_lock lock(mutex_);
  if (closed_) throw Error(fmt::format("results writer for '{}' is closed", db_path_));
  pending_.samples.push_back(std::move(sample));
  Enqueued(lock);
}

void ResultsWriter::Add(RunMetric metric) {
  std::unique_lock lock(mutex_);
  if (closed_) throw Error(fmt::format("results writer for '{}' is closed", db_path_));
  pending_.metrics.push_back(std::move(metric));
  Enqueued(lock);
}

void ResultsWriter::Flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = added_;
  const std::int64_t failures_before = stats_.failed_transactions;
  flush_requested_ = true;
  wake_writer_.notify_one();
  committed_.wait(lock, [&] {
    return written_ >= target || stats_.failed_transactions > failures_before || thread_done_;
  });
  if (written_ < target) {
    throw Error(fmt::format("results writer for '{}': {} records not yet written: {}", db_path_,
                            target - written_, stats_.last_error));
  }
}

void ResultsWriter::Close() {
  {
    std::unique_lock lock(mutex_);
    if (closed_) return;
    closed_ = true;
    stopping_ = true;
  }
  wake_writer_.notify_one();
  thread_.join();
  std::unique_lock lock(mutex_);
  if (written_ < added_) {
    throw Error(fmt::format("results writer for '{}': {} records could not be written: {}",
                            db_path_, added_ - written_, stats_.last_error));
  }
}

WriterStats ResultsWriter::Stats() const {
  std::unique_lock lock(mutex_);
  return stats_;
}

void ResultsWriter::Loop(Connection& connection) {
  const auto interval =
      std::chrono::milliseconds(std::clamp<std::int64_t>(settings_.flush_interval_ms, 1, 1000));
  constexpr int kAttemptsAfterStop = 3;
  int attempts_after_stop = 0;
  Batch batch;  // owned by this thread; keeps a failed batch for the next attempt
  std::unique_lock lock(mutex_);
  while (true) {
    wake_writer_.wait_for(lock, interval, [&] {
      return stopping_ || flush_requested_ || pending_.rows() >= settings_.batch_rows;
    });
    if (batch.rows() == 0) {
      std::swap(batch, pending_);
    } else {  // a failed batch is waiting: keep order, append what came since
      std::move(pending_.requests.begin(), pending_.requests.end(),
                std::back_inserter(batch.requests));
      std::move(pending_.samples.begin(), pending_.samples.end(),
                std::back_inserter(batch.samples));
      std::move(pending_.metrics.begin(), pending_.metrics.end(),
                std::back_inserter(batch.metrics));
      pending_.clear();
    }
    flush_requested_ = false;
    const bool stopping = stopping_;
    const std::size_t rows = batch.rows();

    lock.unlock();
    WriterStats delta;
    const std::int64_t cpu_before_ns = ThreadCpuNs();
    const bool ok = rows == 0 || WriteBatch(connection, batch, delta);
    const std::int64_t cpu_ns = ThreadCpuNs() - cpu_before_ns;
    lock.lock();

    stats_.write_cpu_ns += cpu_ns;
    stats_.requests_written += delta.requests_written;
    stats_.samples_written += delta.samples_written;
    stats_.metrics_written += delta.metrics_written;
    stats_.rows_rejected += delta.rows_rejected;
    if (!delta.last_error.empty()) stats_.last_error = delta.last_error;
    if (rows > 0) ++stats_.transactions;
    if (ok) {
      written_ += rows;
    } else {
      ++stats_.failed_transactions;
      spdlog::warn("results writer for '{}': batch of {} rows not written, will retry: {}",
                   db_path_, rows, delta.last_error);
    }
    committed_.notify_all();
    if (stopping && pending_.rows() == 0 && (ok || ++attempts_after_stop >= kAttemptsAfterStop)) {
      break;
    }
  }
  thread_done_ = true;
  committed_.notify_all();
}

bool ResultsWriter::WriteBatch(Connection& connection, Batch& batch, WriterStats& delta) {
  try {
    Transaction transaction(connection.db());
    // A row that breaks a constraint is skipped: SQLite's default ABORT undoes only the failing
    // statement, so the transaction and the other rows go on.
    auto insert_each = [&](const auto& rows, std::int64_t& written) {
      for (const auto& row : rows) {
        try {
          connection.Insert(row);
          ++written;
        } catch (const SqliteError& e) {
          if (!IsConstraintViolation(e)) throw;
          ++delta.rows_rejected;
          delta.last_error = fmt::format("row rejected: {}", e.what());
        }
      }
    };
    insert_each(batch.requests, delta.requests_written);
    insert_each(batch.samples, delta.samples_written);
    insert_each(batch.metrics, delta.metrics_written);
    transaction.Commit();
  } catch (const Error& e) {
    delta = WriterStats{};
    delta.last_error = e.what();
    return false;
  }
  batch.clear();
  return true;
}

}  // namespace infermeter::results
