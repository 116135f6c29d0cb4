#include "infermeter/results/sqlite.h"

#include <sqlite3.h>

#include <fmt/format.h>

namespace infermeter::results {
namespace {

[[noreturn]] void ThrowFor(sqlite3* db, int code, std::string_view what) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw SqliteError(code, fmt::format("{}: {} (SQLite error {})", what, message, code));
}

int OpenFlags(OpenMode mode) {
  switch (mode) {
    case OpenMode::kReadOnly:
      return SQLITE_OPEN_READONLY;
    case OpenMode::kReadWrite:
      return SQLITE_OPEN_READWRITE;
    case OpenMode::kReadWriteCreate:
      return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  }
  return SQLITE_OPEN_READONLY;
}

}  // namespace

void Database::Closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

Database::Database(const std::string& path, OpenMode mode, int busy_timeout_ms) : path_(path) {
  sqlite3* raw = nullptr;
  // NOMUTEX: each connection is used by one thread at a time (see the header).
  const int code =
      sqlite3_open_v2(path.c_str(), &raw, OpenFlags(mode) | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);  // sqlite3 returns a handle even on failure; it must be closed
  if (code != SQLITE_OK) ThrowFor(raw, code, fmt::format("cannot open database '{}'", path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
}

void Database::Execute(std::string_view sql) {
  char* error = nullptr;
  const std::string text(sql);
  const int code = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &error);
  if (code != SQLITE_OK) {
    const std::string message = error != nullptr ? error : sqlite3_errstr(code);
    sqlite3_free(error);
    throw SqliteError(code, fmt::format("database '{}': {} (SQLite error {}) in: {}", path_,
                                        message, code, text.substr(0, 120)));
  }
}

std::int64_t Database::QueryInt(std::string_view sql) {
  Statement stmt(*this, sql);
  if (!stmt.Step()) throw SqliteError(SQLITE_ERROR, fmt::format("no row from: {}", sql));
  return stmt.ColumnInt(0);
}

std::string Database::QueryText(std::string_view sql) {
  Statement stmt(*this, sql);
  if (!stmt.Step()) throw SqliteError(SQLITE_ERROR, fmt::format("no row from: {}", sql));
  return stmt.ColumnText(0);
}

std::int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_.get()); }
int Database::Changes() const { return sqlite3_changes(db_.get()); }

void Statement::Finalizer::operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }

Statement::Statement(Database& db, std::string_view sql) : db_(db.handle()), sql_(sql) {
  sqlite3_stmt* raw = nullptr;
  const int code = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  stmt_.reset(raw);
  if (code != SQLITE_OK) {
    ThrowFor(db_, code, fmt::format("database '{}': cannot prepare '{}'", db.path(), sql));
  }
}

void Statement::Fail(int code) const { ThrowFor(db_, code, fmt::format("'{}'", sql_)); }

void Statement::Bind(int index, std::int64_t value) {
  if (int code = sqlite3_bind_int64(stmt_.get(), index, value); code != SQLITE_OK) Fail(code);
}

void Statement::Bind(int index, double value) {
  if (int code = sqlite3_bind_double(stmt_.get(), index, value); code != SQLITE_OK) Fail(code);
}

void Statement::Bind(int index, std::string_view text) {
  const int code = sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(),
                                       SQLITE_TRANSIENT, SQLITE_UTF8);
  if (code != SQLITE_OK) Fail(code);
}

void Statement::BindBlob(int index, std::span<const std::uint8_t> bytes) {
  // A zero-length blob must still be a blob, not NULL: SQLite treats a null pointer as NULL.
  static const std::uint8_t kEmpty = 0;
  const void* data = bytes.empty() ? &kEmpty : bytes.data();
  const int code = sqlite3_bind_blob64(stmt_.get(), index, data, bytes.size(), SQLITE_TRANSIENT);
  if (code != SQLITE_OK) Fail(code);
}

void Statement::BindBlobNoCopy(int index, std::span<const std::uint8_t> bytes) {
  static const std::uint8_t kEmpty = 0;
  const void* data = bytes.empty() ? &kEmpty : bytes.data();
  const int code = sqlite3_bind_blob64(stmt_.get(), index, data, bytes.size(), SQLITE_STATIC);
  if (code != SQLITE_OK) Fail(code);
}

void Statement::BindNull(int index) {
  if (int code = sqlite3_bind_null(stmt_.get(), index); code != SQLITE_OK) Fail(code);
}

bool Statement::Step() {
  const int code = sqlite3_step(stmt_.get());
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  sqlite3_reset(stmt_.get());  // leave the statement reusable after the error
  Fail(code);
}

void Statement::Run() {
  if (Step()) throw SqliteError(SQLITE_MISUSE, fmt::format("'{}' returned a row", sql_));
}

void Statement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

std::int64_t Statement::ColumnInt(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

double Statement::ColumnDouble(int column) const {
  return sqlite3_column_double(stmt_.get(), column);
}

std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column)));
}

std::optional<std::int64_t> Statement::ColumnOptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnInt(column);
}

std::optional<double> Statement::ColumnOptionalDouble(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnDouble(column);
}

std::vector<std::uint8_t> Statement::ColumnBlob(int column) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  if (data == nullptr || size <= 0) return {};
  return std::vector<std::uint8_t>(data, data + size);
}

Transaction::Transaction(Database& db) : db_(db) { db_.Execute("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (done_) return;
  // Never throws: a failed rollback leaves SQLite to roll back when the connection closes.
  sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::Commit() {
  db_.Execute("COMMIT");
  done_ = true;
}

ReadTransaction::ReadTransaction(Database& db) : db_(db) { db_.Execute("BEGIN"); }

ReadTransaction::~ReadTransaction() {
  // Never throws: nothing was written, and closing the connection ends the transaction anyway.
  sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace infermeter::results
