#pragma once
// Schema versioning: `PRAGMA user_version` holds the version, `PRAGMA application_id` marks the
// file as infermeter's. Migrations only go forward; all pending steps run in one transaction,
// so a failed migration leaves the file exactly as it was.

#include <functional>
#include <span>
#include <string_view>

#include "infermeter/results/sqlite.h"

namespace infermeter::results {

// 'IMTR' in ASCII: identifies an infermeter results file to `file(1)`-style tools and to us.
inline constexpr std::int32_t kApplicationId = 0x494D5452;

// One forward step: brings a database at `to_version - 1` to `to_version`.
struct Migration {
  int to_version;
  std::string_view description;
  std::function<void(Database&)> apply;
};

// The migrations of this build, in order; the last one's version is the current schema version.
std::span<const Migration> SchemaMigrations();
int CurrentSchemaVersion();

struct MigrationResult {
  int from_version = 0;
  int to_version = 0;
};

// Brings `db` to the last version in `migrations` (the default is this build's schema).
// Throws SchemaError when the file is newer than the last migration, or when it holds tables but
// is not an infermeter file. A failing step rolls every step back.
MigrationResult Migrate(Database& db, std::span<const Migration> migrations);
MigrationResult Migrate(Database& db);

// Checks, without writing, that `db` can be read by this build: an infermeter file at exactly
// the current version. Throws SchemaError saying what to do otherwise.
void RequireCurrentSchema(Database& db);

class SchemaError : public Error {
 public:
  using Error::Error;
};

}  // namespace infermeter::results
