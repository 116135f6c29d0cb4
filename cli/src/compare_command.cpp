#include "compare_command.h"

#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "compare_options.h"
#include "infermeter/compare/comparison_format.h"
#include "infermeter/core/error.h"
#include "table.h"

namespace infermeter::cli {
namespace {

struct CompareCommandOptions {
  CompareOptions compare;
  std::string format = "table";
  std::string output;  // "" = stdout
};

// The terminal table: one value column per subject (with its interval) and, for every subject
// but the baseline, a ratio column.
void PrintTable(std::ostream& out, const compare::ComparisonTable& table,
                const std::vector<compare::Subject>& subjects) {
  for (const compare::SubjectFacts& f : compare::FactsOf(subjects)) {
    out << fmt::format(
        "{}{}\n  hardware: {}\n  engine: {}, model: {}\n  workload: {} (hash {})\n"
        "  status: {}, {}\n",
        f.label, f.label == table.subjects[table.baseline] ? "  [baseline]" : "", f.hardware,
        f.engine, f.model, f.workload, f.workload_hash.empty() ? "none" : f.workload_hash, f.status,
        f.validity);
  }
  out << '\n';
  TextTable text;
  text.AddColumn("Figure");
  text.AddColumn("");
  for (std::size_t i = 0; i < table.subjects.size(); ++i) {
    text.AddColumn(table.subjects[i], TextTable::Align::kRight);
    if (i != table.baseline) text.AddColumn("vs baseline", TextTable::Align::kLeft);
  }
  const std::size_t columns = 2 + 2 * table.subjects.size() - 1;
  std::optional<compare::Section> section;
  for (const compare::Row& row : table.rows) {
    if (section != row.section) {
      section = row.section;
      std::vector<std::string> heading(columns);
      heading[0] = fmt::format("{}:", compare::ToString(row.section));
      text.AddRow(std::move(heading));
    }
    std::vector<std::string> cells{row.label, compare::DirectionText(row)};
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      const compare::Cell& cell = row.cells[i];
      std::string value = compare::ValueText(cell, row.unit);
      if (const std::string interval = compare::IntervalText(cell, row.unit); !interval.empty()) {
        value += " " + interval;
      }
      cells.push_back(std::move(value));
      if (i != table.baseline) cells.push_back(compare::RatioText(cell));
    }
    text.AddRow(std::move(cells));
  }
  text.Print(out);
  out << '\n' << compare::Legend(table) << '\n';
  for (const std::string& warning : table.warnings) out << "warning: " << warning << '\n';
}

int Run(const CompareCommandOptions& options) {
  const std::optional<ResolvedComparison> found = ResolveOrRefuse(options.compare);
  if (!found) return kNotLikeForLikeExit;
  const ResolvedComparison& resolved = *found;
  std::ofstream file;
  if (!options.output.empty()) {
    file.open(options.output);
    if (!file) throw Error(fmt::format("{}: cannot write the comparison there", options.output));
  }
  std::ostream& out = options.output.empty() ? std::cout : file;
  const compare::ComparisonTable& table = resolved.table;
  if (options.format == "json") {
    out << compare::ComparisonJson(table, resolved.subjects) << '\n';
  } else if (options.format == "csv") {
    out << compare::ComparisonCsv(table);
  } else if (options.format == "markdown") {
    out << compare::ComparisonMarkdown(table, resolved.subjects);
  } else {
    PrintTable(out, table, resolved.subjects);
  }
  out.flush();
  if (!out) throw Error(fmt::format("{}: writing failed", options.output));
  return 0;
}

}  // namespace

void AddCompareCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<CompareCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "compare",
      "Compare runs (or repeat groups) side by side: every summary figure with a 95% bootstrap "
      "interval, ratios to a baseline marked where the difference is not significant, and "
      "figures normalised per device, per peak FLOP/s, per peak bandwidth, per watt and per "
      "price. Refuses runs whose workload, model or SLOs differ unless --force.");
  AddCompareOptions(*command, options->compare);
  command->add_option("--format", options->format, "table, markdown, csv or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "markdown", "csv", "json"}));
  command->add_option("-o,--output", options->output, "write to this file instead of stdout");
  command->callback([options, action] { *action = [options] { return Run(*options); }; });
}

}  // namespace infermeter::cli
