#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base64.h"
#include "infermeter/compare/comparison_format.h"
#include "infermeter/core/version.h"
#include "infermeter/report/report_documents.h"

namespace infermeter::report {
namespace {

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Inline, so the file stands alone; system fonts only (no web fonts to fetch).
constexpr const char* kStyle = R"(
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1a1a1a;
       margin: 24px auto; max-width: 1280px; padding: 0 16px; font-size: 14px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
p.meta { color: #555; margin-top: 0; }
ul.warnings { background: #fff4d6; border: 1px solid #e0b94a; padding: 8px 8px 8px 28px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d0d0d0; padding: 4px 8px; vertical-align: top; }
th { background: #f0f2f5; text-align: left; }
table.comparison td.value { text-align: right; white-space: nowrap; }
table.comparison tr.section th { background: #dde3ea; }
span.ci { color: #666; font-size: 12px; }
span.ratio { display: block; font-size: 12px; }
span.better { color: #0a6b2d; font-weight: bold; }
span.worse { color: #a3161a; font-weight: bold; }
span.same { color: #777; }
span.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px;
              vertical-align: middle; border-radius: 2px; }
figure { margin: 16px 0; }
figure img { width: 900px; max-width: 100%; border: 1px solid #e4e4e4; }
figcaption { color: #555; font-size: 12px; max-width: 900px; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; font-size: 12px; }
p.legend { color: #555; font-size: 12px; max-width: 1000px; }
)";

// A ratio cell, coloured by whether the difference is significant and which way is better.
std::string RatioHtml(const compare::Row& row, const compare::Cell& cell) {
  const std::string text = compare::RatioText(cell);
  if (text.empty()) return "";
  std::string css = "ratio";
  if (cell.significant && !*cell.significant) {
    css += " same";
  } else if (cell.significant && row.higher_is_better && cell.ratio) {
    const bool better = (*cell.ratio > 1) == *row.higher_is_better;
    css += better ? " better" : " worse";
  }
  return fmt::format("<span class=\"{}\">{}</span>", css, Escape(text));
}

void WriteSubjects(std::ostringstream& out, const compare::ComparisonTable& table,
                   const std::vector<compare::Subject>& subjects) {
  out << "<h2>Runs</h2>\n<table class=\"subjects\">\n<tr><th>Compared</th><th>Engine</th>"
         "<th>Model</th><th>Workload</th><th>Runs</th><th>Status</th><th>Labels</th></tr>\n";
  const std::vector<compare::SubjectFacts> facts = compare::FactsOf(subjects);
  for (std::size_t i = 0; i < facts.size(); ++i) {
    const compare::SubjectFacts& f = facts[i];
    std::vector<std::string> labels;
    for (const auto& [key, value] : subjects[i].first().run.info.labels) {
      labels.push_back(Escape(fmt::format("{}={}", key, value)));
    }
    out << fmt::format(
        "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}{}</td><td>{}</td>"
        "<td>{}</td><td>{}<br><span class=\"ci\">hash {}</span></td><td>{}</td>"
        "<td>{}, {}</td><td>{}</td></tr>\n",
        LineColour(i), Escape(f.label), i == table.baseline ? " <b>(baseline)</b>" : "",
        Escape(f.engine), Escape(f.model), Escape(f.workload),
        Escape(f.workload_hash.empty() ? "none" : f.workload_hash), Escape(f.runs),
        Escape(f.status), Escape(f.validity), fmt::join(labels, "<br>"));
  }
  out << "</table>\n";
}

// The figures a hardware comparison is usually decided by, shown first so the reader sees them
// (and the charts) before the full table; the full table follows the charts.
constexpr std::string_view kKeyFigures[] = {
    "output_tokens_per_s",
    "request_throughput_per_s",
    "goodput_requests_per_s",
    "ttft_p50_ms",
    "ttft_p99_ms",
    "tpot_p50_ms",
    "tpot_p99_ms",
    "itl_p50_ms",
    "e2e_p50_ms",
    "e2e_p99_ms",
    "output_tokens_per_s_per_device",
    "mfu",
    "mbu",
    "output_tokens_per_j",
    "output_tokens_per_dollar",
};

bool IsKeyFigure(const compare::Row& row) {
  for (const std::string_view key : kKeyFigures) {
    if (row.metric == key) return true;
  }
  return false;
}

// The comparison table with the rows `keep` accepts; nothing when it accepts none.
template <typename Keep>
void WriteComparison(std::ostringstream& out, const compare::ComparisonTable& table,
                     const char* heading, const char* id, Keep keep) {
  bool any = false;
  for (const compare::Row& row : table.rows) any = any || keep(row);
  if (!any) return;
  out << fmt::format("<h2>{}</h2>\n<table class=\"comparison\" id=\"{}\">\n<tr><th>Figure</th>",
                     heading, id);
  for (std::size_t i = 0; i < table.subjects.size(); ++i) {
    out << fmt::format("<th>{}{}</th>", Escape(table.subjects[i]),
                       i == table.baseline ? " (baseline)" : "");
  }
  out << "</tr>\n";
  std::optional<compare::Section> section;
  for (const compare::Row& row : table.rows) {
    if (!keep(row)) continue;
    if (section != row.section) {
      section = row.section;
      out << fmt::format("<tr class=\"section\"><th colspan=\"{}\">{}</th></tr>\n",
                         table.subjects.size() + 1, compare::ToString(row.section));
    }
    out << fmt::format("<tr><td title=\"{}\">{} {}</td>", Escape(row.metric), Escape(row.label),
                       compare::DirectionText(row));
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      const compare::Cell& cell = row.cells[i];
      out << "<td class=\"value\">" << Escape(compare::ValueText(cell, row.unit));
      if (const std::string interval = compare::IntervalText(cell, row.unit); !interval.empty()) {
        out << " <span class=\"ci\">" << Escape(interval) << "</span>";
      }
      if (cell.cv) out << fmt::format(" <span class=\"ci\">CV {:.1f}%</span>", 100 * *cell.cv);
      if (i != table.baseline) out << RatioHtml(row, cell);
      out << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</table>\n<p class=\"legend\">" << Escape(compare::Legend(table))
      << " Green: significantly better than the baseline; red: significantly worse; grey: not "
         "significant.</p>\n";
}

void WriteCharts(std::ostringstream& out, const std::vector<ReportChart>& charts) {
  out << "<h2>Charts</h2>\n";
  for (const ReportChart& chart : charts) {
    // Drawn at twice the size shown, so they stay sharp on HiDPI screens and when zoomed.
    const std::string png = RenderChartPng(chart.spec, 2.0);
    out << fmt::format(
        "<figure id=\"chart-{}\"><img alt=\"{}\" width=\"{}\" height=\"{}\" "
        "src=\"data:image/png;base64,{}\"><figcaption>{}</figcaption></figure>\n",
        chart.stem, Escape(chart.spec.title), chart.spec.width_px, chart.spec.height_px,
        Base64(png), Escape(chart.caption));
  }
}

void WriteHardware(std::ostringstream& out, const std::vector<compare::Subject>& subjects) {
  out << "<h2>Hardware</h2>\n";
  for (const compare::Subject& subject : subjects) {
    const std::string& json = subject.first().run.info.hardware_json;
    out << "<h3>" << Escape(subject.label) << "</h3>\n<table class=\"hardware\">\n";
    for (const HardwareFact& fact : HardwareFacts(json)) {
      out << fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", Escape(fact.name),
                         Escape(fact.value));
    }
    const nlohmann::json parsed = nlohmann::json::parse(json, nullptr, false);
    out << "</table>\n<details><summary>As recorded (runs.hardware)</summary><pre>"
        << Escape(parsed.is_discarded() ? json : parsed.dump(2)) << "</pre></details>\n";
  }
}

}  // namespace

std::string HtmlReport(const compare::ComparisonTable& table,
                       const std::vector<compare::Subject>& subjects,
                       const std::vector<ReportChart>& charts, const ReportContext& context) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
      << Escape(context.title) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  out << "<h1>" << Escape(context.title) << "</h1>\n";
  out << fmt::format("<p class=\"meta\">Made by infermeter {} ({}) on {} from {}.</p>\n",
                     Escape(Version()), Escape(GitRevision()), Escape(context.generated_at),
                     Escape(context.results_file));
  if (!table.warnings.empty()) {
    out << "<ul class=\"warnings\">\n";
    for (const std::string& warning : table.warnings) out << "<li>" << Escape(warning) << "</li>\n";
    out << "</ul>\n";
  }
  WriteSubjects(out, table, subjects);
  WriteComparison(out, table, "Key figures", "key-figures", IsKeyFigure);
  WriteCharts(out, charts);
  WriteComparison(out, table, "All figures", "all-figures",
                  [](const compare::Row&) { return true; });
  WriteHardware(out, subjects);
  out << "</body>\n</html>\n";
  return out.str();
}

}  // namespace infermeter::report
