#include "report_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "compare_options.h"
#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "infermeter/report/report_charts.h"
#include "infermeter/report/report_documents.h"

namespace infermeter::cli {
namespace {

struct ReportCommandOptions {
  CompareOptions compare;
  std::string output;
  std::string format;  // "" = from the output's extension
  std::string title;
};

// Written beside the target and renamed over it, so a failed write never leaves half a report
// (or destroys an earlier one under the same name).
void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::path partial = path;
  partial += ".partial";
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    if (!file) throw Error(fmt::format("{}: cannot write there", path.string()));
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    file.close();
    if (!file) {
      std::filesystem::remove(partial);
      throw Error(fmt::format("{}: writing failed", path.string()));
    }
  }
  std::filesystem::rename(partial, path);
}

int Run(const ReportCommandOptions& options) {
  const std::filesystem::path output(options.output);
  std::string format = options.format;
  if (format.empty()) {
    const std::string extension = output.extension().string();
    format = extension == ".md" || extension == ".markdown" ? "markdown" : "html";
  }

  const std::optional<ResolvedComparison> found = ResolveOrRefuse(options.compare);
  if (!found) return kNotLikeForLikeExit;
  const ResolvedComparison& resolved = *found;
  const std::vector<report::ReportChart> charts =
      report::ReportCharts(options.compare.db_path, resolved.subjects);
  report::ReportContext context{.results_file = options.compare.db_path,
                                .generated_at = FormatWallNs(WallNs())};
  if (!options.title.empty()) context.title = options.title;

  if (format == "markdown") {
    const report::MarkdownReport markdown = report::BuildMarkdownReport(
        resolved.table, resolved.subjects, charts, context, output.stem().string());
    for (const report::ImageFile& image : markdown.images) {
      WriteFile(output.parent_path() / image.name, image.bytes);
    }
    WriteFile(output, markdown.text);
    std::cout << fmt::format("wrote {} and {} chart images beside it\n", output.string(),
                             markdown.images.size());
  } else {
    WriteFile(output, report::HtmlReport(resolved.table, resolved.subjects, charts, context));
    std::cout << fmt::format("wrote {} (self-contained: {} charts embedded)\n", output.string(),
                             charts.size());
  }
  for (const std::string& warning : resolved.table.warnings) {
    std::cout << "warning: " << warning << '\n';
  }
  return 0;
}

}  // namespace

void AddReportCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<ReportCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "report",
      "Write a comparison of runs as a self-contained HTML file (the comparison table, the "
      "hardware, and charts of throughput over time, latency CDFs and KV cache over time, "
      "embedded), or as Markdown with PNG charts beside it.");
  AddCompareOptions(*command, options->compare);
  command->add_option("-o,--output", options->output, "the report file (report.html, report.md)")
      ->required();
  command
      ->add_option("--format", options->format,
                   "html or markdown (default: markdown for a .md file, html otherwise)")
      ->check(CLI::IsMember({"html", "markdown"}));
  command->add_option("--title", options->title, "the report's title");
  command->callback([options, action] { *action = [options] { return Run(*options); }; });
}

}  // namespace infermeter::cli
