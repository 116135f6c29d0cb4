#include <sstream>

#include <fmt/format.h>

#include "infermeter/compare/comparison_format.h"
#include "infermeter/core/version.h"
#include "infermeter/report/report_documents.h"

namespace infermeter::report {

MarkdownReport BuildMarkdownReport(const compare::ComparisonTable& table,
                                   const std::vector<compare::Subject>& subjects,
                                   const std::vector<ReportChart>& charts,
                                   const ReportContext& context, const std::string& image_stem) {
  MarkdownReport report;
  std::ostringstream out;
  out << "# " << context.title << "\n\n"
      << fmt::format("Made by infermeter {} ({}) on {} from `{}`.\n\n", Version(), GitRevision(),
                     context.generated_at, context.results_file);
  for (const std::string& warning : table.warnings) out << "> **Warning:** " << warning << "\n>\n";
  if (!table.warnings.empty()) out << '\n';
  out << "## Comparison\n\n" << compare::ComparisonMarkdown(table, subjects) << '\n';

  out << "## Charts\n\n";
  for (const ReportChart& chart : charts) {
    ImageFile image{.name = fmt::format("{}-{}.png", image_stem, chart.stem),
                    .bytes = RenderChartPng(chart.spec, 2.0)};
    out << fmt::format("![{}]({})\n\n{}\n\n", chart.spec.title, image.name, chart.caption);
    report.images.push_back(std::move(image));
  }

  out << "## Hardware\n\n";
  for (const compare::Subject& subject : subjects) {
    out << "### " << subject.label << "\n\n";
    for (const HardwareFact& fact : HardwareFacts(subject.first().run.info.hardware_json)) {
      out << fmt::format("- **{}:** {}\n", fact.name, fact.value);
    }
    out << '\n';
  }
  report.text = out.str();
  return report;
}

}  // namespace infermeter::report
