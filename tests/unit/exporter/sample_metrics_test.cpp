// The live mapping from stored samples to Prometheus series stays true to both sides: every row
// names a sample some collector really stores (so a renamed sample cannot silently vanish from
// Grafana), and every exported family is documented in docs/PROMETHEUS.md.

#include "sample_metrics.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace infermeter::exporter {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("INFERMETER_SOURCE_DIR");
  return dir ? dir : ".";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every .cpp of the folders where samples are made, as one text.
std::string CollectorSources() {
  std::string all;
  for (const char* folder : {"collectors/src", "harness/src"}) {
    for (const auto& entry : std::filesystem::directory_iterator(SourceDir() + "/" + folder)) {
      if (entry.path().extension() == ".cpp") all += ReadFile(entry.path());
    }
  }
  return all;
}

// `text` between two `quote`s. (Built with append: GCC 12 warns falsely on `"x" + s + "x"`.)
std::string Quoted(char quote, std::string_view text) {
  std::string out(1, quote);
  out.append(text);
  out += quote;
  return out;
}

TEST(SampleMetricsTest, EveryRowNamesASampleACollectorStores) {
  const std::string sources = CollectorSources();
  ASSERT_FALSE(sources.empty()) << "set INFERMETER_SOURCE_DIR to the source tree";
  for (const SampleMetric& row : SampleMetrics()) {
    EXPECT_NE(sources.find(Quoted('"', row.metric)), std::string::npos)
        << row.metric << " (exported as " << row.family << ") is stored by no collector";
  }
}

TEST(SampleMetricsTest, EveryFamilyIsDocumentedAndKeepsOneType) {
  const std::string doc = ReadFile(SourceDir() + "/docs/PROMETHEUS.md");
  ASSERT_FALSE(doc.empty());
  std::map<std::string, SampleKind> kinds;
  for (const SampleMetric& row : SampleMetrics()) {
    const std::string family(row.family);
    EXPECT_NE(doc.find(Quoted('`', family)), std::string::npos) << family << " is not documented";
    const auto [it, added] = kinds.emplace(family, row.kind);
    EXPECT_TRUE(added || it->second == row.kind) << family << " is both a gauge and a counter";
    EXPECT_EQ(row.kind == SampleKind::kCounter, family.ends_with("_total")) << family;
  }
}

TEST(SampleMetricsTest, LabelledAndUnlabelledSamplesFindTheirOwnRows) {
  const auto find = [](std::string source, std::string metric, std::string labels) {
    const auto found = FindSampleMetric({.run_id = RunId{1},
                                         .time_ns = 0,
                                         .source = std::move(source),
                                         .metric = std::move(metric),
                                         .labels_json = std::move(labels),
                                         .value = 1});
    return found ? std::string(found->metric->family) : std::string("(none)");
  };
  EXPECT_EQ(find("kv_cache", "kv_used_bytes", "{}"), "infermeter_kv_cache_used_bytes");
  EXPECT_EQ(find("kv_cache", "kv_used_bytes", R"({"kind":"window"})"),
            "infermeter_kv_cache_used_by_kind_bytes");
  EXPECT_EQ(find("server_metrics", "server_kv_used_bytes", "{}"), "infermeter_kv_cache_used_bytes");
  EXPECT_EQ(find("nvml", "gpu_power_watts", R"({"gpu":"3"})"),
            "infermeter_accelerator_power_watts");
  EXPECT_EQ(find("ascend", "npu_power_watts", R"({"npu":"1","chip":"0"})"),
            "infermeter_accelerator_power_watts");
  // Unbounded or unknown labels are never exported.
  EXPECT_EQ(find("nvml", "gpu_process_memory_bytes", R"({"gpu":"0","pid":"4242"})"), "(none)");
  EXPECT_EQ(find("flops", "request_flops", R"({"request":"17"})"), "(none)");
  EXPECT_EQ(find("nvml", "gpu_power_watts", "not json"), "(none)");
}

}  // namespace
}  // namespace infermeter::exporter
