// The report's documents without a results file: base64 against RFC 4648's vectors, the hardware
// facts a reader sees, and HTML that escapes what runs were named and loads nothing from
// elsewhere. The whole report on a real results file, in a real browser, is
// tests/integration/report_html_test.py.

#include "infermeter/report/report_documents.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base64.h"

namespace infermeter::report {
namespace {

TEST(Base64, MatchesRfc4648TestVectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64(std::string("\xff\xfe\x00", 3)), "//4A");  // high bytes, the last alphabet
}

std::string FactValue(const std::vector<HardwareFact>& facts, const std::string& name) {
  for (const HardwareFact& fact : facts) {
    if (fact.name == name) return fact.value;
  }
  return "<missing " + name + ">";
}

TEST(HardwareFacts, GroupsAcceleratorsByModelMemoryAndDriver) {
  const std::string json = R"({
    "host": "node-7", "cpu_model": "AMD EPYC 9654", "logical_cores": 384,
    "memory_total_bytes": 1649267441664, "kernel": "6.1.0", "device": "server at http://x:8000",
    "gpus": [
      {"name": "NVIDIA B200", "memory_total_bytes": 193273528320, "compute_capability": "10.0",
       "driver_version": "575.1"},
      {"name": "NVIDIA B200", "memory_total_bytes": 193273528320, "compute_capability": "10.0",
       "driver_version": "575.1"},
      {"name": "NVIDIA B200", "memory_total_bytes": 193273528320, "compute_capability": "10.0",
       "driver_version": "570.9"}],
    "npus": []})";
  const std::vector<HardwareFact> facts = HardwareFacts(json);
  EXPECT_EQ(FactValue(facts, "GPUs"),
            "2 × NVIDIA B200 (180.0 GiB, compute 10.0, driver 575.1); "
            "1 × NVIDIA B200 (180.0 GiB, compute 10.0, driver 570.9)");
  EXPECT_EQ(FactValue(facts, "CPU"), "AMD EPYC 9654, 384 logical cores");
  EXPECT_EQ(FactValue(facts, "Memory"), "1536.0 GiB");
  EXPECT_EQ(FactValue(facts, "Host"), "node-7");
  EXPECT_EQ(FactValue(facts, "Device"), "server at http://x:8000");
  for (const HardwareFact& fact : facts) EXPECT_NE(fact.name, "NPUs") << "no NPUs were listed";
}

TEST(HardwareFacts, SaysSoWhenTheDescriptionIsNotAnObject) {
  const std::vector<HardwareFact> facts = HardwareFacts("not json");
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_NE(facts[0].value.find("not recorded"), std::string::npos);
  EXPECT_TRUE(HardwareFacts("{}").empty());
}

compare::Subject SubjectNamed(std::int64_t id, const std::string& label) {
  compare::Subject subject{.ref = {.kind = compare::SubjectRef::Kind::kRun, .id = id},
                           .label = label};
  dashboard::CatalogRun run;
  run.run.id = RunId{id};
  run.run.info.name = label;
  run.run.info.hardware_json = R"({"host": "<b>host</b>"})";
  run.run.info.labels["price_per_hour"] = "2.5";
  subject.runs.push_back(run);
  return subject;
}

TEST(HtmlReport, EscapesNamesAndLoadsNothingFromElsewhere) {
  const std::vector<compare::Subject> subjects{SubjectNamed(1, "run 1 <script>alert(1)</script>"),
                                               SubjectNamed(2, "run 2 \"B&B\"")};
  compare::ComparisonTable table;
  table.subjects = {subjects[0].label, subjects[1].label};
  table.warnings = {"run 2 is <INVALID>"};
  compare::Row row{.metric = "output_tokens_per_s",
                   .label = "Output tokens/s",
                   .unit = "tokens/s",
                   .section = compare::Section::kThroughput,
                   .higher_is_better = true};
  row.cells = {compare::Cell{.value = 100.0},
               compare::Cell{.value = 80.0,
                             .interval = compare::Interval{70, 90},
                             .ratio = 0.8,
                             .ratio_interval = compare::Interval{0.7, 0.9},
                             .significant = true}};
  table.rows.push_back(row);
  const ReportChart chart{
      .stem = "throughput",
      .caption = "tokens <per> second",
      .spec = {.title = "Output throughput", .lines = {{.name = "a", .points = {{0, 1}, {1, 2}}}}}};
  const std::string html =
      HtmlReport(table, subjects, {chart}, {.title = "A & B", .results_file = "r.db"});

  EXPECT_EQ(html.find("<script"), std::string::npos) << "a run's name must not become markup";
  EXPECT_NE(html.find("run 1 &lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("run 2 &quot;B&amp;B&quot;"), std::string::npos);
  EXPECT_NE(html.find("<title>A &amp; B</title>"), std::string::npos);
  EXPECT_NE(html.find("run 2 is &lt;INVALID&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;host&lt;/b&gt;"), std::string::npos) << "the hardware JSON too";
  EXPECT_NE(html.find("price_per_hour=2.5"), std::string::npos) << "labels are shown";
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos)
      << "the chart is embedded as a PNG (its signature, base64)";
  // A significantly lower throughput is worse: red.
  EXPECT_NE(html.find("<span class=\"ratio worse\">×0.800 [0.700, 0.900]</span>"),
            std::string::npos);
}

TEST(MarkdownReport, LinksEveryChartFileByTheGivenStem) {
  const std::vector<compare::Subject> subjects{SubjectNamed(1, "one"), SubjectNamed(2, "two")};
  compare::ComparisonTable table;
  table.subjects = {"one", "two"};
  std::vector<ReportChart> charts;
  for (const char* stem : {"throughput", "ttft-cdf"}) {
    charts.push_back({.stem = stem, .caption = "c", .spec = {.title = stem}});
  }
  const MarkdownReport report = BuildMarkdownReport(table, subjects, charts, {}, "cmp");
  ASSERT_EQ(report.images.size(), 2u);
  EXPECT_EQ(report.images[0].name, "cmp-throughput.png");
  EXPECT_EQ(report.images[1].name, "cmp-ttft-cdf.png");
  EXPECT_EQ(report.images[1].bytes.substr(1, 3), "PNG");
  EXPECT_NE(report.text.find("![throughput](cmp-throughput.png)"), std::string::npos);
  EXPECT_NE(report.text.find("### two"), std::string::npos);
}

}  // namespace
}  // namespace infermeter::report
