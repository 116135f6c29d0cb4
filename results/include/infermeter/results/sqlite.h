#pragma once
// A thin RAII wrapper over the SQLite C API, in the style of SQLiteCpp:
//   Database     owns a sqlite3* connection;
//   Statement    owns a prepared sqlite3_stmt*; values go in through bind() only, never through
//                SQL text built from values;
//   Transaction  BEGINs on construction and rolls back in its destructor unless committed.
// Errors throw SqliteError carrying SQLite's own message and the statement or file involved.
// Destructors never throw.
//
// Thread-safety: a Database and its Statements belong to one thread at a time (SQLite is built
// in serialized mode on Debian, but our writer and readers each use their own connection).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/core/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace infermeter::results {

// A failed SQLite call. `code()` is SQLite's extended result code (SQLITE_BUSY, SQLITE_CORRUPT…).
class SqliteError : public Error {
 public:
  SqliteError(int code, const std::string& message) : Error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

enum class OpenMode {
  kReadOnly,         // never writes; used by readers such as the dashboard and `infermeter runs`
  kReadWrite,        // the file must exist
  kReadWriteCreate,  // creates the file if missing
};

class Database {
 public:
  // Opens `path`. Throws SqliteError naming the file when it cannot be opened. Sets a busy
  // timeout so a reader and the writer wait for each other instead of failing at once.
  Database(const std::string& path, OpenMode mode, int busy_timeout_ms = 5000);
  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;

  // Runs one or more statements that take no parameters (DDL, PRAGMAs, BEGIN/COMMIT).
  void Execute(std::string_view sql);

  // Runs a single-row, single-column query such as "PRAGMA user_version".
  std::int64_t QueryInt(std::string_view sql);
  std::string QueryText(std::string_view sql);

  std::int64_t LastInsertRowId() const;
  int Changes() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const noexcept;
  };
  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
};

class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  // Parameters are 1-based, as in SQLite. Text and blobs are copied by SQLite (SQLITE_TRANSIENT)
  // unless noted, so the caller's buffers may go away after bind().
  void Bind(int index, std::int64_t value);
  void Bind(int index, int value) { Bind(index, static_cast<std::int64_t>(value)); }
  void Bind(int index, double value);
  void Bind(int index, std::string_view text);
  void Bind(int index, const char* text) { Bind(index, std::string_view(text)); }
  void BindBlob(int index, std::span<const std::uint8_t> bytes);
  // Binds without copying. REQUIRES: `bytes` stays valid and unchanged until the statement is
  // stepped and reset.
  void BindBlobNoCopy(int index, std::span<const std::uint8_t> bytes);
  void BindNull(int index);
  template <typename T>
  void Bind(int index, const std::optional<T>& value) {
    if (value) {
      Bind(index, *value);
    } else {
      BindNull(index);
    }
  }

  // Steps once. Returns true while a row is available, false when done.
  bool Step();
  // Steps a statement that returns no rows; throws if it returns one.
  void Run();
  // Makes the statement ready to run again and clears its bindings.
  void Reset();

  bool IsNull(int column) const;
  std::int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  std::optional<std::int64_t> ColumnOptionalInt(int column) const;
  std::optional<double> ColumnOptionalDouble(int column) const;
  std::vector<std::uint8_t> ColumnBlob(int column) const;

 private:
  [[noreturn]] void Fail(int code) const;
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept;
  };
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  sqlite3* db_ = nullptr;
  std::string sql_;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so a transaction never fails
// half way with SQLITE_BUSY on upgrade); ROLLBACK in the destructor unless Commit() was called.
// Not to be shared between threads.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void Commit();

 private:
  Database& db_;
  bool done_ = false;
};

// BEGIN (deferred) on construction, ROLLBACK in the destructor: the reads in between see one
// snapshot of the file, however many commits a writer makes meanwhile (WAL). For readers, whose
// read-only connections cannot BEGIN IMMEDIATE. Not to be shared between threads.
class ReadTransaction {
 public:
  explicit ReadTransaction(Database& db);
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Database& db_;
};

}  // namespace infermeter::results
