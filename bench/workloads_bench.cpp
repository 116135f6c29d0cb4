// Import speed of the workloads library: Mooncake JSONL records per second (items/s), on the
// real shared trace when it is there and on a synthetic in-memory one of the same shape.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "infermeter/workloads/import.h"
#include "infermeter/workloads/summary.h"

namespace {

namespace wl = infermeter::workloads;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string SharedMooncakePath() {
  const char* dir = std::getenv("INFERMETER_SHARED_DIR");
  return (std::filesystem::path(dir ? dir : INFERMETER_DEFAULT_SHARED_DIR) / "traces" /
          "mooncake_conversation_trace.jsonl")
      .string();
}

// 20,000 records shaped like the conversation trace: ~24 hash ids a line, half of them a
// prefix shared with earlier requests.
std::string SyntheticMooncake() {
  std::string text;
  std::uint64_t next_id = 0;
  for (int i = 0; i < 20000; ++i) {
    const int blocks = 4 + (i * 7919) % 40;
    text += fmt::format(
        "{{\"timestamp\": {}, \"input_length\": {}, \"output_length\": {}, "
        "\"hash_ids\": [",
        i * 300, blocks * 512 - 100, 100 + i % 700);
    for (int b = 0; b < blocks; ++b) {
      if (b > 0) text += ", ";
      text += std::to_string(b < blocks / 2 ? static_cast<std::uint64_t>(b) : next_id++ + 1000);
    }
    text += "]}\n";
  }
  return text;
}

void Import(benchmark::State& state, const std::string& text) {
  std::int64_t records = 0;
  for (auto _ : state) {
    const wl::ImportResult result = wl::ImportTraceText(text, "bench", {.format = "mooncake"});
    records = result.records_read;
    benchmark::DoNotOptimize(result.trace.sessions.data());
  }
  state.SetItemsProcessed(state.iterations() * records);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

void BM_MooncakeImportRealTrace(benchmark::State& state) {
  const std::string path = SharedMooncakePath();
  if (!std::filesystem::exists(path)) {
    state.SkipWithError(fmt::format("no {} (set INFERMETER_SHARED_DIR)", path).c_str());
    return;
  }
  Import(state, ReadFile(path));
}
BENCHMARK(BM_MooncakeImportRealTrace)->Unit(benchmark::kMillisecond);

void BM_MooncakeImportSynthetic(benchmark::State& state) { Import(state, SyntheticMooncake()); }
BENCHMARK(BM_MooncakeImportSynthetic)->Unit(benchmark::kMillisecond);

// The statistics of `trace inspect` (prefix reuse dominates).
void BM_SummarizeRealTrace(benchmark::State& state) {
  const std::string path = SharedMooncakePath();
  if (!std::filesystem::exists(path)) {
    state.SkipWithError("no shared Mooncake trace");
    return;
  }
  const wl::Trace trace = wl::ImportTraceFile(path, {}).trace;
  for (auto _ : state) benchmark::DoNotOptimize(wl::Summarize(trace));
  state.SetItemsProcessed(state.iterations() * wl::RequestCount(trace));
}
BENCHMARK(BM_SummarizeRealTrace)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
