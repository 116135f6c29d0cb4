#include "db_command.h"

#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "db_path.h"
#include "infermeter/core/error.h"
#include "infermeter/results/schema.h"
#include "infermeter/results/store.h"

namespace infermeter::cli {
namespace {

constexpr int kCheckFailedExitCode = 3;

struct DbOptions {
  std::string db_path;
  bool json = false;
};

int Check(const DbOptions& options) {
  // Read-only: refuses a missing, corrupt, foreign or other-version file with a message that
  // says what to do, and never writes.
  auto store = results::ResultsStore::OpenForReading(options.db_path);
  const results::StoreCheck check = store.Check();
  if (options.json) {
    nlohmann::json j = {{"path", options.db_path},
                        {"schema_version", check.schema_version},
                        {"current_schema_version", check.current_schema_version},
                        {"journal_mode", check.journal_mode},
                        {"integrity", check.integrity_problems.empty() ? "ok" : "problems"},
                        {"integrity_problems", check.integrity_problems},
                        {"counts",
                         {{"runs", check.runs},
                          {"requests", check.requests},
                          {"request_chunks", check.request_chunks},
                          {"samples", check.samples},
                          {"run_metrics", check.run_metrics},
                          {"hardware_peaks", check.hardware_peaks},
                          {"run_groups", check.run_groups}}},
                        {"ok", check.ok()}};
    std::cout << j.dump(2) << '\n';
  } else {
    std::cout << fmt::format("database        {}\n", options.db_path);
    std::cout << fmt::format("schema version  {} (this infermeter: {})\n", check.schema_version,
                             check.current_schema_version);
    std::cout << fmt::format("journal mode    {}\n", check.journal_mode);
    if (check.integrity_problems.empty()) {
      std::cout << "integrity       ok\n";
    } else {
      std::cout << fmt::format("integrity       {} problem(s):\n", check.integrity_problems.size());
      for (const auto& line : check.integrity_problems) std::cout << "  " << line << '\n';
    }
    std::cout << fmt::format("runs            {}\n", check.runs);
    std::cout << fmt::format("requests        {}\n", check.requests);
    std::cout << fmt::format("request_chunks  {}\n", check.request_chunks);
    std::cout << fmt::format("samples         {}\n", check.samples);
    std::cout << fmt::format("run_metrics     {}\n", check.run_metrics);
    std::cout << fmt::format("hardware_peaks  {}\n", check.hardware_peaks);
    std::cout << fmt::format("run_groups      {}\n", check.run_groups);
  }
  return check.ok() ? 0 : kCheckFailedExitCode;
}

int Migrate(const DbOptions& options) {
  if (!std::filesystem::exists(options.db_path)) {
    throw Error(fmt::format("no results database at '{}' (pass --db FILE or set INFERMETER_DB)",
                            options.db_path));
  }
  results::Database db(options.db_path, results::OpenMode::kReadWrite);
  const results::MigrationResult result = results::Migrate(db);
  if (result.from_version == result.to_version) {
    std::cout << fmt::format("'{}' is already at schema version {}.\n", options.db_path,
                             result.to_version);
  } else {
    std::cout << fmt::format("'{}' migrated from schema version {} to {}.\n", options.db_path,
                             result.from_version, result.to_version);
  }
  return 0;
}

}  // namespace

void AddDbCommand(CLI::App& app, CommandAction* action) {
  CLI::App* db = app.add_subcommand("db", "Check or upgrade a results database");
  db->require_subcommand(1);

  auto check_options = std::make_shared<DbOptions>();
  CLI::App* check = db->add_subcommand(
      "check", "Schema version, SQLite integrity check and row counts (exit 3 on problems)");
  AddDbOption(*check, &check_options->db_path);
  check->add_flag("--json", check_options->json, "Print the report as JSON");
  check->callback(
      [check_options, action] { *action = [check_options] { return Check(*check_options); }; });

  auto migrate_options = std::make_shared<DbOptions>();
  CLI::App* migrate =
      db->add_subcommand("migrate", "Upgrade an older results database to this schema version");
  AddDbOption(*migrate, &migrate_options->db_path);
  migrate->callback([migrate_options, action] {
    *action = [migrate_options] { return Migrate(*migrate_options); };
  });
}

}  // namespace infermeter::cli
