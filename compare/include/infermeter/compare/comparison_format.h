#pragma once
// A comparison as text: the cell texts every format shares, and the Markdown, CSV and JSON
// documents (`infermeter compare --format`, and the Markdown report). The terminal table is the
// CLI's; the HTML report is report/'s. Values keep about four significant digits in text, full
// precision in CSV and JSON.

#include <string>
#include <vector>

#include "infermeter/compare/comparison.h"

namespace infermeter::compare {

// "1,234 tokens/s", "12.35 ms", "41.2 %"; "—" when there is no value.
std::string ValueText(const Cell& cell, const std::string& unit);
// "[1,201, 1,262]" in the value's display unit; "" without an interval.
std::string IntervalText(const Cell& cell, const std::string& unit);
// "×0.80 [0.76, 0.83]", with " ~" appended when the difference is not significant; "" for the
// baseline or without a ratio.
std::string RatioText(const Cell& cell);
// "↑" (higher is better), "↓", or "".
std::string DirectionText(const Row& row);

// What the marks mean, for under a table.
std::string Legend(const ComparisonTable& table);

// Per subject, what a reader needs to know what ran: hardware, engine, model, workload, status.
struct SubjectFacts {
  std::string label;
  std::string hardware, engine, model, workload, workload_hash, status, validity, runs;
};
std::vector<SubjectFacts> FactsOf(const std::vector<Subject>& subjects);

std::string ComparisonMarkdown(const ComparisonTable& table, const std::vector<Subject>& subjects);
// One line per row and subject: metric, label, unit, section, subject, value, interval, ratio,
// its interval, significant, cv, method (RFC 4180).
std::string ComparisonCsv(const ComparisonTable& table);
std::string ComparisonJson(const ComparisonTable& table, const std::vector<Subject>& subjects);

}  // namespace infermeter::compare
