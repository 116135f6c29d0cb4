#pragma once
// `infermeter report` as documents: one self-contained HTML file (inline CSS, charts as base64
// PNG, no scripts and no external references, so it opens offline and can be mailed), or
// Markdown with the chart PNGs as files beside it.

#include <string>
#include <vector>

#include "infermeter/compare/comparison.h"
#include "infermeter/compare/subject.h"
#include "infermeter/report/report_charts.h"

namespace infermeter::report {

struct ReportContext {
  std::string title = "infermeter comparison";
  std::string results_file;  // where the runs were read from, as given
  std::string generated_at;  // "2026-11-24T18:40:00.123Z"
};

std::string HtmlReport(const compare::ComparisonTable& table,
                       const std::vector<compare::Subject>& subjects,
                       const std::vector<ReportChart>& charts, const ReportContext& context);

struct ImageFile {
  std::string name;   // file name, relative to the Markdown file: "report-throughput.png"
  std::string bytes;  // PNG
};
struct MarkdownReport {
  std::string text;
  std::vector<ImageFile> images;
};
// `image_stem` prefixes the image file names ("report" gives "report-throughput.png").
MarkdownReport BuildMarkdownReport(const compare::ComparisonTable& table,
                                   const std::vector<compare::Subject>& subjects,
                                   const std::vector<ReportChart>& charts,
                                   const ReportContext& context, const std::string& image_stem);

// The hardware a run describes (runs.hardware JSON) as labelled lines for a reader: host, CPU,
// memory, accelerators grouped by model, the device the engine ran on. Unknown keys are left to
// the raw JSON the report also carries.
struct HardwareFact {
  std::string name;   // "GPUs"
  std::string value;  // "8 × NVIDIA H100 80GB HBM3 (79.6 GiB, compute 9.0, driver 570.133.20)"
};
std::vector<HardwareFact> HardwareFacts(const std::string& hardware_json);

}  // namespace infermeter::report
