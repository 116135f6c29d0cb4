// The OpenAI-compatible client's per-event cost: SSE framing plus chunk decoding of a vLLM-style
// chat stream held in memory (one token per event, ~250-byte events), fed in 16 KiB slices as a
// socket would deliver them. No network: this is the client's CPU ceiling.
//
// Target (OpenAI client issue): >= 1M SSE token events per second on one core:
//   taskset -c 0 build/release/bench/openai_sse_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true     (one command line)
// and read events_per_second (median) of BM_ParseAndDecode.
//
// The other benchmarks split the cost: framing alone, the scanner alone, nlohmann alone (what
// the decoder would cost without its fast path), and a stream with vLLM's continuous usage.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "openai/chunk_decoder.h"
#include "openai/sse_parser.h"

namespace infermeter::engines::openai {
namespace {

constexpr int kTokenEvents = 20000;
constexpr std::size_t kSliceBytes = 16 * 1024;

constexpr std::string_view kChunkHead =
    "data: {\"id\":\"chatcmpl-5d2c8e1f0a9b4c3d8e7f6a5b4c3d2e1f\",\"object\":"
    "\"chat.completion.chunk\",\"created\":1718345600,\"model\":"
    "\"meta-llama/Llama-3.1-70B-Instruct\",\"choices\":[{\"index\":0,\"delta\":";
constexpr std::string_view kChunkTail = ",\"logprobs\":null,\"finish_reason\":null}]";

// Token texts as a tokenizer produces them: mostly short words with a leading space, some
// punctuation, an escaped newline and a non-ASCII character now and then.
constexpr std::string_view kTokens[] = {
    " the",
    " model",
    " of",
    " inference",
    ",",
    " and",
    " latency",
    "\\n",
    " is",
    " measured",
    " per",
    " token",
    " \xc3\xa9t\xc3\xa9",
    ".",
    " \\\"",
    " GPU",
    " memory",
    " bandwidth",
};

// A vLLM /v1/chat/completions stream: the role-only chunk, `token_events` one-token chunks, a
// finish chunk, the usage chunk and [DONE]. With continuous usage every chunk carries usage.
std::string MakeStream(int token_events, bool continuous_usage) {
  std::string stream;
  const auto usage = [&](int completion) {
    if (!continuous_usage) return;
    stream += ",\"usage\":{\"prompt_tokens\":1024,\"total_tokens\":";
    stream += std::to_string(1024 + completion);
    stream += ",\"completion_tokens\":";
    stream += std::to_string(completion);
    stream += '}';
  };
  stream.append(kChunkHead).append("{\"role\":\"assistant\",\"content\":\"\"}").append(kChunkTail);
  usage(0);
  stream += "}\n\n";
  for (int i = 0; i < token_events; ++i) {
    stream.append(kChunkHead).append("{\"content\":\"");
    stream.append(kTokens[static_cast<std::size_t>(i) % std::size(kTokens)]);
    stream.append("\"}").append(kChunkTail);
    usage(i + 1);
    stream += "}\n\n";
  }
  stream.append(kChunkHead).append("{\"content\":\"\"}");
  stream.append(",\"logprobs\":null,\"finish_reason\":\"length\",\"stop_reason\":null}]");
  usage(token_events);
  stream += "}\n\n";
  stream += "data: {\"id\":\"chatcmpl-5d2c8e1f0a9b4c3d8e7f6a5b4c3d2e1f\",\"object\":";
  stream += "\"chat.completion.chunk\",\"created\":1718345600,\"model\":";
  stream += "\"meta-llama/Llama-3.1-70B-Instruct\",\"choices\":[],\"usage\":{";
  stream += "\"prompt_tokens\":1024,\"total_tokens\":";
  stream += std::to_string(1024 + token_events);
  stream += ",\"completion_tokens\":";
  stream += std::to_string(token_events);
  stream += "}}\n\ndata: [DONE]\n\n";
  return stream;
}

void ReportRates(benchmark::State& state, std::int64_t events, std::size_t stream_bytes,
                 std::int64_t tokens) {
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(static_cast<std::int64_t>(stream_bytes) * state.iterations());
  state.counters["events_per_second"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["bytes_per_event"] =
      static_cast<double>(stream_bytes) / static_cast<double>(kTokenEvents + 4);
  state.counters["tokens_per_iteration"] =
      static_cast<double>(tokens) / static_cast<double>(state.iterations());
}

// The whole client-side path per event: framing, then decoding.
void BM_ParseAndDecode(benchmark::State& state) {
  const bool continuous_usage = state.range(0) != 0;
  const std::string stream = MakeStream(kTokenEvents, continuous_usage);
  const std::string_view bytes = stream;
  SseParser parser;
  ChunkDecoder decoder;
  std::int64_t events = 0;
  std::int64_t tokens = 0;
  const auto on_event = [&](const SseEvent& event) {
    const DecodedChunk chunk = decoder.Decode(event.data, event.type);
    tokens += chunk.token_count;
    ++events;
  };
  for (auto _ : state) {
    decoder.Reset();
    for (std::size_t at = 0; at < bytes.size(); at += kSliceBytes) {
      if (!parser.Feed(bytes.substr(at, kSliceBytes), on_event)) state.SkipWithError("feed");
    }
    if (!parser.Finish().complete) state.SkipWithError("incomplete stream");
  }
  if (decoder.slow_path_chunks() != 0) state.SkipWithError("chunks left the fast path");
  ReportRates(state, events, stream.size(), tokens);
}
BENCHMARK(BM_ParseAndDecode)->Arg(0)->ArgName("continuous_usage")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseAndDecode)->Arg(1)->ArgName("continuous_usage")->Unit(benchmark::kMillisecond);

// SSE framing alone.
void BM_ParseOnly(benchmark::State& state) {
  const std::string stream = MakeStream(kTokenEvents, false);
  const std::string_view bytes = stream;
  SseParser parser;
  std::int64_t events = 0;
  std::size_t data_bytes = 0;
  const auto on_event = [&](const SseEvent& event) {
    data_bytes += event.data.size();
    ++events;
  };
  for (auto _ : state) {
    for (std::size_t at = 0; at < bytes.size(); at += kSliceBytes) {
      parser.Feed(bytes.substr(at, kSliceBytes), on_event);
    }
    parser.Finish();
  }
  benchmark::DoNotOptimize(data_bytes);
  ReportRates(state, events, stream.size(), 0);
}
BENCHMARK(BM_ParseOnly)->Unit(benchmark::kMillisecond);

// Decoding alone, through the scanner (fast path on) or through nlohmann only.
void BM_DecodeOnly(benchmark::State& state) {
  const bool fast_path = state.range(0) != 0;
  const std::string stream = MakeStream(kTokenEvents, false);
  std::vector<std::string> payloads;
  SseParser parser;
  parser.Feed(stream, [&](const SseEvent& event) { payloads.emplace_back(event.data); });
  ChunkDecoder decoder({.fast_path = fast_path});
  std::int64_t events = 0;
  std::int64_t tokens = 0;
  for (auto _ : state) {
    decoder.Reset();
    for (const std::string& payload : payloads) tokens += decoder.Decode(payload).token_count;
    events += static_cast<std::int64_t>(payloads.size());
  }
  ReportRates(state, events, stream.size(), tokens);
}
BENCHMARK(BM_DecodeOnly)->Arg(1)->ArgName("fast_path")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeOnly)->Arg(0)->ArgName("fast_path")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace infermeter::engines::openai

BENCHMARK_MAIN();
