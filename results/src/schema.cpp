#include "infermeter/results/schema.h"

#include <array>

#include <fmt/format.h>

#include "schema_v1.sql.h"
#include "schema_v2.sql.h"
#include "schema_v3.sql.h"
#include "schema_v4.sql.h"
#include "schema_v5.sql.h"

namespace infermeter::results {
namespace {

const std::array<Migration, 5> kMigrations = {{
    {1, "runs, requests, request_chunks, samples, run_metrics",
     [](Database& db) { db.Execute(detail::kSchemaV1); }},
    {2, "hardware_peaks", [](Database& db) { db.Execute(detail::kSchemaV2); }},
    {3, "run validity and groups, request release and queue times",
     [](Database& db) { db.Execute(detail::kSchemaV3); }},
    {4, "what each collector did and where its figures came from",
     [](Database& db) { db.Execute(detail::kSchemaV4); }},
    {5, "request HTTP phases, first visible token and reasoning tokens",
     [](Database& db) { db.Execute(detail::kSchemaV5); }},
}};

std::int64_t UserTableCount(Database& db) {
  return db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'");
}

// Reads the version, turning "not a database" into a message a user can act on.
int ReadVersion(Database& db) {
  try {
    return static_cast<int>(db.QueryInt("PRAGMA user_version"));
  } catch (const SqliteError& e) {
    throw SchemaError(fmt::format(
        "'{}' is not a readable SQLite database (corrupt, truncated or another kind of file): {}",
        db.path(), e.what()));
  }
}

void RequireOurs(Database& db, int version) {
  const auto app_id = static_cast<std::int32_t>(db.QueryInt("PRAGMA application_id"));
  if (app_id == kApplicationId) return;
  if (version == 0 && UserTableCount(db) == 0) return;  // a new, empty file: ours to claim
  throw SchemaError(fmt::format(
      "'{}' is an SQLite database but not an infermeter results file (application_id {:#x}, "
      "expected {:#x}); refusing to touch it",
      db.path(), static_cast<std::uint32_t>(app_id), static_cast<std::uint32_t>(kApplicationId)));
}

}  // namespace

std::span<const Migration> SchemaMigrations() { return kMigrations; }
int CurrentSchemaVersion() { return kMigrations.back().to_version; }

MigrationResult Migrate(Database& db, std::span<const Migration> migrations) {
  const int latest = migrations.empty() ? 0 : migrations.back().to_version;
  const int version = ReadVersion(db);
  RequireOurs(db, version);
  if (version > latest) {
    throw SchemaError(
        fmt::format("'{}' has schema version {}, newer than this infermeter understands ({}); "
                    "use a newer infermeter to open it",
                    db.path(), version, latest));
  }
  MigrationResult result{version, version};
  if (version == latest) return result;

  Transaction transaction(db);
  for (const Migration& step : migrations) {
    if (step.to_version <= version) continue;
    try {
      step.apply(db);
    } catch (const Error& e) {
      throw SchemaError(
          fmt::format("'{}': migration to schema version {} ({}) failed, nothing "
                      "was changed: {}",
                      db.path(), step.to_version, step.description, e.what()));
    }
    // PRAGMAs take no bound parameters; the values are integers from this table, not input.
    db.Execute(fmt::format("PRAGMA user_version = {}", step.to_version));
    result.to_version = step.to_version;
  }
  db.Execute(fmt::format("PRAGMA application_id = {}", kApplicationId));
  transaction.Commit();
  return result;
}

MigrationResult Migrate(Database& db) { return Migrate(db, SchemaMigrations()); }

void RequireCurrentSchema(Database& db) {
  const int version = ReadVersion(db);
  RequireOurs(db, version);
  const int current = CurrentSchemaVersion();
  if (version == 0) {
    throw SchemaError(fmt::format("'{}' holds no infermeter results yet", db.path()));
  }
  if (version > current) {
    throw SchemaError(
        fmt::format("'{}' has schema version {}, newer than this infermeter understands ({}); "
                    "use a newer infermeter to open it",
                    db.path(), version, current));
  }
  if (version < current) {
    throw SchemaError(
        fmt::format("'{}' has schema version {}, older than this infermeter's ({}); "
                    "run `infermeter db migrate --db {}` to upgrade it",
                    db.path(), version, current, db.path()));
  }
}

}  // namespace infermeter::results
