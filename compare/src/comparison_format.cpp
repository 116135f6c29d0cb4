#include "infermeter/compare/comparison_format.h"

#include <cmath>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/dashboard/csv.h"
#include "infermeter/dashboard/figure_format.h"

namespace infermeter::compare {
namespace {

nlohmann::json Optional(const std::optional<double>& value) {
  return value && std::isfinite(*value) ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// Markdown cells must not break the table.
std::string MarkdownCell(std::string text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string ValueText(const Cell& cell, const std::string& unit) {
  if (!cell.value) return "—";
  return dashboard::FormatFigure(*cell.value, unit);
}

std::string IntervalText(const Cell& cell, const std::string& unit) {
  if (!cell.value || !cell.interval) return "";
  const dashboard::AxisUnit axis = dashboard::AxisUnitFor(unit, std::fabs(*cell.value));
  return fmt::format("[{}, {}]", dashboard::FormatNumber(cell.interval->low * axis.scale),
                     dashboard::FormatNumber(cell.interval->high * axis.scale));
}

std::string RatioText(const Cell& cell) {
  if (!cell.ratio) return "";
  std::string text = fmt::format("×{:.3f}", *cell.ratio);
  if (cell.ratio_interval) {
    text += fmt::format(" [{:.3f}, {:.3f}]", cell.ratio_interval->low, cell.ratio_interval->high);
  }
  if (cell.significant && !*cell.significant) text += " ~";
  return text;
}

std::string DirectionText(const Row& row) {
  if (!row.higher_is_better) return "";
  return *row.higher_is_better ? "↑" : "↓";
}

std::string Legend(const ComparisonTable& table) {
  return fmt::format(
      "[low, high]: {:.0f}% bootstrap interval ({} resamples, seed {}; a run's requests or its "
      "1 s throughput in blocks, a repeat group's runs). ×r: ratio to the baseline, "
      "[its interval]; ~ not significant (the interval contains 1). ↑/↓: higher/lower is "
      "better.",
      table.confidence * 100, table.resamples, table.seed);
}

std::vector<SubjectFacts> FactsOf(const std::vector<Subject>& subjects) {
  std::vector<SubjectFacts> facts;
  for (const Subject& subject : subjects) {
    const dashboard::CatalogRun& run = subject.first();
    std::vector<std::string> ids;
    for (const dashboard::CatalogRun& r : subject.runs)
      ids.push_back(fmt::format("{}", r.run.id.value));
    facts.push_back({.label = subject.label,
                     .hardware = run.hardware,
                     .engine = run.run.info.engine,
                     .model = run.run.info.model,
                     .workload = run.run.info.workload_name,
                     .workload_hash = run.run.info.workload_hash,
                     .status = std::string(results::ToString(run.run.status)),
                     .validity = run.run.validity
                                     ? std::string(results::ToString(*run.run.validity))
                                     : "not judged",
                     .runs = fmt::format("{}", fmt::join(ids, ", "))});
  }
  return facts;
}

std::string ComparisonMarkdown(const ComparisonTable& table, const std::vector<Subject>& subjects) {
  std::ostringstream out;
  out << "| | " << fmt::format("{}", fmt::join(table.subjects, " | ")) << " |\n|---|";
  for (std::size_t i = 0; i < table.subjects.size(); ++i) out << "---|";
  out << '\n';
  const std::vector<SubjectFacts> facts = FactsOf(subjects);
  const auto fact_row = [&](const char* name, std::string SubjectFacts::*field) {
    out << "| " << name << " |";
    for (const SubjectFacts& f : facts) out << ' ' << MarkdownCell(f.*field) << " |";
    out << '\n';
  };
  fact_row("Hardware", &SubjectFacts::hardware);
  fact_row("Engine", &SubjectFacts::engine);
  fact_row("Model", &SubjectFacts::model);
  fact_row("Workload", &SubjectFacts::workload);
  fact_row("Runs", &SubjectFacts::runs);
  fact_row("Validity", &SubjectFacts::validity);
  out << '\n';

  out << "| Figure | " << fmt::format("{}", fmt::join(table.subjects, " | ")) << " |\n|---|";
  for (std::size_t i = 0; i < table.subjects.size(); ++i) out << "---:|";
  out << '\n';
  std::optional<Section> section;
  for (const Row& row : table.rows) {
    if (section != row.section) {
      section = row.section;
      out << "| **" << ToString(row.section) << "** |";
      for (std::size_t i = 0; i < table.subjects.size(); ++i) out << " |";
      out << '\n';
    }
    out << "| " << MarkdownCell(fmt::format("{} {}", row.label, DirectionText(row))) << " |";
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      const Cell& cell = row.cells[i];
      std::string text = ValueText(cell, row.unit);
      if (const std::string interval = IntervalText(cell, row.unit); !interval.empty()) {
        text += " " + interval;
      }
      if (i != table.baseline) {
        if (const std::string ratio = RatioText(cell); !ratio.empty()) text += "<br>" + ratio;
      }
      out << ' ' << MarkdownCell(text) << " |";
    }
    out << '\n';
  }
  out << '\n' << Legend(table) << '\n';
  if (!table.warnings.empty()) {
    out << "\n**Warnings**\n\n";
    for (const std::string& warning : table.warnings) out << "- " << warning << '\n';
  }
  return out.str();
}

std::string ComparisonCsv(const ComparisonTable& table) {
  std::string out = dashboard::CsvLine({"metric", "label", "unit", "section", "subject", "baseline",
                                        "value", "ci_low", "ci_high", "ratio", "ratio_ci_low",
                                        "ratio_ci_high", "significant", "cv", "interval_method"});
  const auto number = [](const std::optional<double>& v) {
    return v ? fmt::format("{}", *v) : std::string();
  };
  for (const Row& row : table.rows) {
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      const Cell& c = row.cells[i];
      out += dashboard::CsvLine(
          {row.metric, row.label, row.unit, std::string(ToString(row.section)), table.subjects[i],
           i == table.baseline ? "yes" : "no", number(c.value),
           number(c.interval ? std::optional(c.interval->low) : std::nullopt),
           number(c.interval ? std::optional(c.interval->high) : std::nullopt), number(c.ratio),
           number(c.ratio_interval ? std::optional(c.ratio_interval->low) : std::nullopt),
           number(c.ratio_interval ? std::optional(c.ratio_interval->high) : std::nullopt),
           c.significant ? (*c.significant ? "yes" : "no") : "", number(c.cv),
           row.methods[i] ? std::string(ToString(*row.methods[i])) : ""});
    }
  }
  return out;
}

std::string ComparisonJson(const ComparisonTable& table, const std::vector<Subject>& subjects) {
  nlohmann::json j;
  j["confidence"] = table.confidence;
  j["bootstrap_resamples"] = table.resamples;
  j["seed"] = table.seed;
  j["baseline"] = table.baseline;
  j["subjects"] = nlohmann::json::array();
  const std::vector<SubjectFacts> facts = FactsOf(subjects);
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    nlohmann::json ids = nlohmann::json::array();
    for (const dashboard::CatalogRun& run : subjects[i].runs) ids.push_back(run.run.id.value);
    j["subjects"].push_back(
        {{"label", facts[i].label},
         {"kind", subjects[i].repeated() ? "repeat_group" : "run"},
         {"group_id",
          subjects[i].repeated() ? nlohmann::json(subjects[i].ref.id) : nlohmann::json(nullptr)},
         {"run_ids", ids},
         {"hardware", facts[i].hardware},
         {"engine", facts[i].engine},
         {"model", facts[i].model},
         {"workload", facts[i].workload},
         {"workload_hash", facts[i].workload_hash},
         {"status", facts[i].status},
         {"validity", facts[i].validity}});
  }
  j["figures"] = nlohmann::json::array();
  for (const Row& row : table.rows) {
    nlohmann::json cells = nlohmann::json::array();
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      const Cell& c = row.cells[i];
      cells.push_back(
          {{"value", Optional(c.value)},
           {"ci_low", Optional(c.interval ? std::optional(c.interval->low) : std::nullopt)},
           {"ci_high", Optional(c.interval ? std::optional(c.interval->high) : std::nullopt)},
           {"ratio", Optional(c.ratio)},
           {"ratio_ci_low",
            Optional(c.ratio_interval ? std::optional(c.ratio_interval->low) : std::nullopt)},
           {"ratio_ci_high",
            Optional(c.ratio_interval ? std::optional(c.ratio_interval->high) : std::nullopt)},
           {"significant",
            c.significant ? nlohmann::json(*c.significant) : nlohmann::json(nullptr)},
           {"cv", Optional(c.cv)},
           {"runs", c.runs},
           {"interval_method",
            row.methods[i] ? nlohmann::json(ToString(*row.methods[i])) : nlohmann::json(nullptr)}});
    }
    j["figures"].push_back(
        {{"metric", row.metric},
         {"label", row.label},
         {"unit", row.unit},
         {"section", ToString(row.section)},
         {"higher_is_better",
          row.higher_is_better ? nlohmann::json(*row.higher_is_better) : nlohmann::json(nullptr)},
         {"values", cells}});
  }
  j["warnings"] = table.warnings;
  j["not_like_for_like"] = table.differences;
  return j.dump(2);
}

}  // namespace infermeter::compare
