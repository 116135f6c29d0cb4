#include "runs_command.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "db_path.h"
#include "infermeter/core/clock.h"
#include "infermeter/results/store.h"
#include "table.h"

namespace infermeter::cli {
namespace {

struct RunsOptions {
  std::string db_path;
  bool json = false;
};

nlohmann::json ParseOrText(const std::string& text) {
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? nlohmann::json(text) : parsed;
}

// A run still marked `running` whose process is gone from this host (killed, or stopped by a
// second Ctrl-C, which exits without finishing the run). `infermeter run` records its pid and
// host in the run's config; runs from other hosts or without that record are shown as stored.
bool Abandoned(const results::RunRow& run) {
  if (run.status != results::RunStatus::kRunning) return false;
  const auto config = nlohmann::json::parse(run.info.config_json, nullptr, false);
  if (!config.is_object() || !config.contains("process")) return false;
  const auto& process = config["process"];
  if (!process.is_object() || !process.contains("pid") || !process["pid"].is_number_integer() ||
      !process.contains("host") || !process["host"].is_string()) {
    return false;
  }
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  if (process["host"].get<std::string>() != host) return false;
  return kill(process["pid"].get<pid_t>(), 0) != 0 && errno == ESRCH;
}

std::string StatusText(const results::RunRow& run) {
  return Abandoned(run) ? "abandoned" : std::string(results::ToString(run.status));
}

nlohmann::json ToJson(const results::RunRow& run) {
  nlohmann::json j;
  j["id"] = run.id.value;
  j["name"] = run.info.name;
  j["status"] = results::ToString(run.status);
  j["abandoned"] = Abandoned(run);  // `running`, but its process is gone
  j["created"] = FormatWallNs(run.created_unix_ns);
  j["created_unix_ns"] = run.created_unix_ns;
  j["finished_unix_ns"] =
      run.finished_unix_ns ? nlohmann::json(*run.finished_unix_ns) : nlohmann::json(nullptr);
  j["engine"] = run.info.engine;
  j["model"] = run.info.model;
  j["workload"] = {{"name", run.info.workload_name}, {"hash", run.info.workload_hash}};
  j["hardware"] = ParseOrText(run.info.hardware_json);
  j["labels"] = run.info.labels;
  j["requests"] = run.request_count;
  j["infermeter_version"] = run.infermeter_version;
  j["git_revision"] =
      run.git_revision.empty() ? nlohmann::json(nullptr) : nlohmann::json(run.git_revision);
  // null while the run runs, when it failed before a verdict, and for runs recorded before
  // schema version 3.
  j["validity"] =
      run.validity ? nlohmann::json(results::ToString(*run.validity)) : nlohmann::json(nullptr);
  j["validity_reasons"] = run.validity_reasons;
  j["group_id"] = run.info.group_id ? nlohmann::json(*run.info.group_id) : nlohmann::json(nullptr);
  j["group_point"] =
      run.info.group_point.empty() ? nlohmann::json(nullptr) : nlohmann::json(run.info.group_point);
  return j;
}

// VALID or INVALID; "-" while the run runs, when it failed before a verdict, and for runs
// recorded before schema version 3. (ASCII: TextTable pads by bytes, not display width.)
std::string ValidityText(const results::RunRow& run) {
  if (!run.validity) return "-";
  return *run.validity == results::Validity::kValid ? "VALID" : "INVALID";
}

// "3 rate=4": the group's id and the run's point in it; "" for a run in no group.
std::string GroupText(const results::RunRow& run) {
  if (!run.info.group_id) return "";
  std::string text = std::to_string(*run.info.group_id);
  if (!run.info.group_point.empty()) text += ' ' + run.info.group_point;
  return text;
}

std::string LabelsText(const std::map<std::string, std::string>& labels) {
  std::string text;
  for (const auto& [key, value] : labels) {
    if (!text.empty()) text += ',';
    text += key + '=' + value;
  }
  return text;
}

int Run(const RunsOptions& options) {
  auto store = results::ResultsStore::OpenForReading(options.db_path);
  const auto runs = store.ListRuns();
  if (options.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& run : runs) all.push_back(ToJson(run));
    std::cout << all.dump(2) << '\n';
    return 0;
  }
  if (runs.empty()) {
    std::cout << fmt::format("No runs in '{}'.\n", options.db_path);
    return 0;
  }
  TextTable table;
  using Align = TextTable::Align;
  table.AddColumn("ID", Align::kRight);
  table.AddColumn("CREATED (UTC)");
  table.AddColumn("STATUS");
  table.AddColumn("VALIDITY");
  table.AddColumn("NAME");
  table.AddColumn("ENGINE");
  table.AddColumn("MODEL");
  table.AddColumn("WORKLOAD");
  table.AddColumn("GROUP");
  table.AddColumn("REQUESTS", Align::kRight);
  table.AddColumn("LABELS");
  for (const auto& run : runs) {
    table.AddRow({std::to_string(run.id.value), FormatWallNs(run.created_unix_ns).substr(0, 19),
                  StatusText(run), ValidityText(run), run.info.name, run.info.engine,
                  run.info.model, run.info.workload_name, GroupText(run),
                  std::to_string(run.request_count), LabelsText(run.info.labels)});
  }
  table.Print(std::cout);
  return 0;
}

}  // namespace

void AddRunsCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<RunsOptions>();
  CLI::App* command = app.add_subcommand("runs", "List the runs in a results database");
  AddDbOption(*command, &options->db_path);
  command->add_flag("--json", options->json, "Print the runs as a JSON array");
  command->callback([options, action] { *action = [options] { return Run(*options); }; });
}

}  // namespace infermeter::cli
