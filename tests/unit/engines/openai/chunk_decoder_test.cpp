// The chunk decoder on the streams real servers send (vLLM, SGLang, llama.cpp server, OpenAI,
// TGI), token counting, errors, malformed data, and the scanner against nlohmann on the same
// inputs (fixtures and thousands of mutations of them).

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "openai/chunk_decoder.h"
#include "openai/sse_parser.h"

namespace infermeter::engines::openai::testing {

std::uint64_t AllocationCount();  // sse_parser_test.cpp

namespace {

// ---- Fixtures: whole streams as the servers frame them --------------------------------------

// vLLM /v1/chat/completions with stream_options.include_usage (and --enable-prompt-tokens-details):
// the role-only first chunk, one chunk per token, a finish chunk with empty content, the usage
// chunk with empty choices, [DONE]. pydantic writes non-ASCII text as raw UTF-8.
constexpr std::string_view kVllmChat =
    "data: {\"id\":\"chatcmpl-5d2c8e1f0a9b4c3d\",\"object\":\"chat.completion.chunk\","
    "\"created\":1718345600,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{"
    "\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
    "\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-5d2c8e1f0a9b4c3d\",\"object\":\"chat.completion.chunk\","
    "\"created\":1718345600,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{"
    "\"index\":0,\"delta\":{\"content\":\"The\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-5d2c8e1f0a9b4c3d\",\"object\":\"chat.completion.chunk\","
    "\"created\":1718345600,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{"
    "\"index\":0,\"delta\":{\"content\":\" capital\"},\"logprobs\":null,\"finish_reason\":null}]}"
    "\n\n"
    "data: {\"id\":\"chatcmpl-5d2c8e1f0a9b4c3d\",\"object\":\"chat.completion.chunk\","
    "\"created\":1718345600,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{"
    "\"index\":0,\"delta\":{\"content\":\" is\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-5d2c8e1f0a9b4c3d\",\"object\":\"chat.completion.chunk\","
    "\"created\":1718345600,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{"
    "\"index\":0,\"delta\":{\"content\":\" \\\"Par\xc3\xads\\\"\"},\"logprobs\":null,"
    "\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-5d2c8e1f0a9b4c3d\",\"object\":\"chat.completion.chunk\","
    "\"created\":1718345600,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{"
    "\"index\":0,\"delta\":{\"content\":\".\\n\xf0\x9f\x98\x80\"},\"logprobs\":null,"
    "\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-5d2c8e1f0a9b4c3d\",\"object\":\"chat.completion.chunk\","
    "\"created\":1718345600,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{"
    "\"index\":0,\"delta\":{\"content\":\"\"},\"logprobs\":null,\"finish_reason\":\"stop\","
    "\"stop_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-5d2c8e1f0a9b4c3d\",\"object\":\"chat.completion.chunk\","
    "\"created\":1718345600,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[],"
    "\"usage\":{\"prompt_tokens\":42,\"total_tokens\":48,\"completion_tokens\":6,"
    "\"prompt_tokens_details\":{\"cached_tokens\":32}}}\n\n"
    "data: [DONE]\n\n";

// vLLM /v1/completions with stream_options {include_usage, continuous_usage_stats}: usage on
// every chunk; a stream interval of 3 puts several tokens in one chunk.
constexpr std::string_view kVllmCompletionsContinuousUsage =
    "data: {\"id\":\"cmpl-7a1e\",\"object\":\"text_completion\",\"created\":1718345600,"
    "\"model\":\"Qwen/Qwen2.5-7B\",\"choices\":[{\"index\":0,\"text\":\" Paris\",\"logprobs\":"
    "null,\"finish_reason\":null,\"stop_reason\":null}],\"usage\":{\"prompt_tokens\":6,"
    "\"total_tokens\":7,\"completion_tokens\":1}}\n\n"
    "data: {\"id\":\"cmpl-7a1e\",\"object\":\"text_completion\",\"created\":1718345600,"
    "\"model\":\"Qwen/Qwen2.5-7B\",\"choices\":[{\"index\":0,\"text\":\" is the capital\","
    "\"logprobs\":null,\"finish_reason\":null,\"stop_reason\":null}],\"usage\":{"
    "\"prompt_tokens\":6,\"total_tokens\":10,\"completion_tokens\":4}}\n\n"
    "data: {\"id\":\"cmpl-7a1e\",\"object\":\"text_completion\",\"created\":1718345600,"
    "\"model\":\"Qwen/Qwen2.5-7B\",\"choices\":[{\"index\":0,\"text\":\" of France\","
    "\"logprobs\":null,\"finish_reason\":\"length\",\"stop_reason\":null}],\"usage\":{"
    "\"prompt_tokens\":6,\"total_tokens\":12,\"completion_tokens\":6}}\n\n"
    "data: {\"id\":\"cmpl-7a1e\",\"object\":\"text_completion\",\"created\":1718345600,"
    "\"model\":\"Qwen/Qwen2.5-7B\",\"choices\":[],\"usage\":{\"prompt_tokens\":6,"
    "\"total_tokens\":12,\"completion_tokens\":6}}\n\n"
    "data: [DONE]\n\n";

// vLLM chat with "return_token_ids": true: prompt_token_ids on the first chunk, token_ids per
// chunk; a token held back by the detokenizer (incomplete UTF-8) arrives with an empty delta.
constexpr std::string_view kVllmChatTokenIds =
    "data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,"
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
    "\"\"},\"logprobs\":null,\"finish_reason\":null}],\"prompt_token_ids\":[128000,128006,882,"
    "128007,271,13347,128009]}\n\n"
    "data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,"
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"logprobs\":null,"
    "\"finish_reason\":null,\"token_ids\":[13347]}]}\n\n"
    "data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,"
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
    "\"finish_reason\":null,\"token_ids\":[9468]}]}\n\n"
    "data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,"
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" \xf0\x9f\x91\x8b\"},"
    "\"logprobs\":null,\"finish_reason\":null,\"token_ids\":[248,233]}]}\n\n"
    "data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,"
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"logprobs\":null,"
    "\"finish_reason\":\"stop\",\"stop_reason\":null,\"token_ids\":[128009]}]}\n\n"
    "data: [DONE]\n\n";

// SGLang chat with a reasoning parser: every delta field present (null when unused), usage:null
// on each chunk, matched_stop on the last, then the usage chunk.
constexpr std::string_view kSglangReasoning =
    "data: {\"id\":\"9b1f\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,\"model\":"
    "\"Qwen/Qwen3-8B\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
    "\"\",\"reasoning_content\":null,\"tool_calls\":null},\"logprobs\":null,\"finish_reason\":"
    "null,\"matched_stop\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"9b1f\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,\"model\":"
    "\"Qwen/Qwen3-8B\",\"choices\":[{\"index\":0,\"delta\":{\"role\":null,\"content\":null,"
    "\"reasoning_content\":\"Two plus two\",\"tool_calls\":null},\"logprobs\":null,"
    "\"finish_reason\":null,\"matched_stop\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"9b1f\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,\"model\":"
    "\"Qwen/Qwen3-8B\",\"choices\":[{\"index\":0,\"delta\":{\"role\":null,\"content\":\"4\","
    "\"reasoning_content\":null,\"tool_calls\":null},\"logprobs\":null,\"finish_reason\":null,"
    "\"matched_stop\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"9b1f\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,\"model\":"
    "\"Qwen/Qwen3-8B\",\"choices\":[{\"index\":0,\"delta\":{\"role\":null,\"content\":null,"
    "\"reasoning_content\":null,\"tool_calls\":null},\"logprobs\":null,\"finish_reason\":"
    "\"stop\",\"matched_stop\":151645}],\"usage\":null}\n\n"
    "data: {\"id\":\"9b1f\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,\"model\":"
    "\"Qwen/Qwen3-8B\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"total_tokens\":20,"
    "\"completion_tokens\":8,\"prompt_tokens_details\":null}}\n\n"
    "data: [DONE]\n\n";

// llama.cpp server chat: role delta with content null, usage (and timings) only on the last
// chunk, which carries no text. Not continuous usage: that usage must not count as a chunk's.
constexpr std::string_view kLlamaCppChat =
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":null}}],\"created\":1718345600,\"id\":\"chatcmpl-Xk2\",\"model\":"
    "\"gpt-3.5-turbo\",\"system_fingerprint\":\"b5000-5f3a\",\"object\":\"chat.completion.chunk\"}"
    "\n\n"
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"Hi\"}}],"
    "\"created\":1718345600,\"id\":\"chatcmpl-Xk2\",\"model\":\"gpt-3.5-turbo\","
    "\"system_fingerprint\":\"b5000-5f3a\",\"object\":\"chat.completion.chunk\"}\n\n"
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\" there\"}}],"
    "\"created\":1718345600,\"id\":\"chatcmpl-Xk2\",\"model\":\"gpt-3.5-turbo\","
    "\"system_fingerprint\":\"b5000-5f3a\",\"object\":\"chat.completion.chunk\"}\n\n"
    "data: {\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}],\"created\":"
    "1718345600,\"id\":\"chatcmpl-Xk2\",\"model\":\"gpt-3.5-turbo\",\"system_fingerprint\":"
    "\"b5000-5f3a\",\"object\":\"chat.completion.chunk\",\"usage\":{\"completion_tokens\":3,"
    "\"prompt_tokens\":9,\"total_tokens\":12},\"timings\":{\"prompt_n\":9,\"prompt_ms\":12.5,"
    "\"prompt_per_token_ms\":1.388,\"prompt_per_second\":720.0,\"predicted_n\":3,"
    "\"predicted_ms\":30.1,\"predicted_per_token_ms\":10.03,\"predicted_per_second\":99.67}}\n\n"
    "data: [DONE]\n\n";

// Older llama.cpp server: an error mid-stream as an `error:` line.
constexpr std::string_view kLlamaCppError =
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"A\"}}],"
    "\"object\":\"chat.completion.chunk\"}\n\n"
    "error: {\"code\":500,\"message\":\"Input prompt is too big compared to KV size.\","
    "\"type\":\"server_error\"}\n\n";

// OpenAI: usage:null and "obfuscation" on every chunk, refusal:null on the first delta, the
// final usage chunk with the details objects.
constexpr std::string_view kOpenAiChat =
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"object\":\"chat.completion.chunk\","
    "\"created\":1741570283,\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
    "\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],"
    "\"usage\":null,\"obfuscation\":\"zKq3\"}\n\n"
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"object\":\"chat.completion.chunk\","
    "\"created\":1741570283,\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
    "\"Hello\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"obfuscation\":"
    "\"a1\"}\n\n"
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"object\":\"chat.completion.chunk\","
    "\"created\":1741570283,\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
    "\"!\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"obfuscation\":"
    "\"Hn0Zx\"}\n\n"
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"object\":\"chat.completion.chunk\","
    "\"created\":1741570283,\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,\"delta\":{},"
    "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null,\"obfuscation\":\"9\"}\n\n"
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"object\":\"chat.completion.chunk\","
    "\"created\":1741570283,\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[],\"usage\":{\"prompt_tokens\":19,"
    "\"completion_tokens\":2,\"total_tokens\":21,\"prompt_tokens_details\":{\"cached_tokens\":0,"
    "\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
    "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}},\"obfuscation\":"
    "\"Qw\"}\n\n"
    "data: [DONE]\n\n";

// TGI's messages API: the role repeated on every delta (it is not a role-only chunk).
constexpr std::string_view kTgiChat =
    "data: {\"object\":\"chat.completion.chunk\",\"id\":\"\",\"created\":1718345600,\"model\":"
    "\"tgi\",\"system_fingerprint\":\"3.0.1-native\",\"choices\":[{\"index\":0,\"delta\":{"
    "\"role\":\"assistant\",\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}],"
    "\"usage\":null}\n\n"
    "data: {\"object\":\"chat.completion.chunk\",\"id\":\"\",\"created\":1718345600,\"model\":"
    "\"tgi\",\"system_fingerprint\":\"3.0.1-native\",\"choices\":[{\"index\":0,\"delta\":{"
    "\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":\"length\"}],"
    "\"usage\":null}\n\n"
    "data: [DONE]\n\n";

// vLLM tool calling: the name first, then argument fragments, then finish_reason tool_calls.
constexpr std::string_view kVllmToolCalls =
    "data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,"
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":"
    "\"chatcmpl-tool-1\",\"type\":\"function\",\"index\":0,\"function\":{\"name\":"
    "\"get_weather\",\"arguments\":\"\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,"
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"function\":{\"arguments\":\"{\\\"city\\\": \\\"\"}}]},\"logprobs\":null,\"finish_reason\":"
    "null}]}\n\n"
    "data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,"
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"function\":{\"arguments\":\"Paris\\\"}\"}}]},\"logprobs\":null,\"finish_reason\":null}]}"
    "\n\n"
    "data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1718345600,"
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"logprobs\":null,"
    "\"finish_reason\":\"tool_calls\"}]}\n\n"
    "data: [DONE]\n\n";

const std::vector<std::string_view>& Streams() {
  static const std::vector<std::string_view> streams = {
      kVllmChat,         kVllmCompletionsContinuousUsage,
      kVllmChatTokenIds, kSglangReasoning,
      kLlamaCppChat,     kLlamaCppError,
      kOpenAiChat,       kTgiChat,
      kVllmToolCalls,
  };
  return streams;
}

// ---- Helpers -----------------------------------------------------------------------------------

// A decoded chunk with its own copies of every view.
struct Decoded {
  ChunkKind kind = ChunkKind::kNoOutput;
  std::string text;
  std::string reasoning;
  std::string refusal;
  std::int64_t tool_call_bytes = 0;
  std::vector<TokenId> token_ids;
  std::int64_t token_count = 0;
  TokenCountSource count_source = TokenCountSource::kNone;
  std::string finish_reason;
  std::int64_t choice_index = 0;
  std::int64_t choice_count = 0;
  std::optional<ChunkUsage> usage;
  std::optional<std::int64_t> prompt_token_count;
  ChunkErrorSource error_source = ChunkErrorSource::kNone;
  std::string error_message;
  std::string error_type;

  bool operator==(const Decoded&) const = default;
};

Decoded Own(const DecodedChunk& c) {
  Decoded d;
  d.kind = c.kind;
  d.text = c.text;
  d.reasoning = c.reasoning;
  d.refusal = c.refusal;
  d.tool_call_bytes = c.tool_call_bytes;
  d.token_ids.assign(c.token_ids.begin(), c.token_ids.end());
  d.token_count = c.token_count;
  d.count_source = c.count_source;
  d.finish_reason = c.finish_reason;
  d.choice_index = c.choice_index;
  d.choice_count = c.choice_count;
  d.usage = c.usage;
  d.prompt_token_count = c.prompt_token_count;
  d.error_source = c.error_source;
  d.error_message = c.error_message;
  d.error_type = c.error_type;
  return d;
}

void PrintTo(const Decoded& d, std::ostream* os) {
  *os << ToString(d.kind) << " text='" << d.text << "' reasoning='" << d.reasoning << "' refusal='"
      << d.refusal << "' tool_bytes=" << d.tool_call_bytes << " ids=[";
  for (const TokenId id : d.token_ids) *os << id << ',';
  *os << "] count=" << d.token_count << " (" << ToString(d.count_source) << ") finish='"
      << d.finish_reason << "' index=" << d.choice_index << " choices=" << d.choice_count;
  if (d.usage) {
    *os << " usage={" << d.usage->prompt_tokens << ',' << d.usage->completion_tokens << ','
        << d.usage->total_tokens << ",cached=" << d.usage->cached_tokens.value_or(-1)
        << ",reasoning=" << d.usage->reasoning_tokens.value_or(-1) << '}';
  }
  if (d.prompt_token_count) *os << " prompt_ids=" << *d.prompt_token_count;
  if (d.kind == ChunkKind::kError) {
    *os << " error(" << static_cast<int>(d.error_source) << ")='" << d.error_message << "' type='"
        << d.error_type << "'";
  }
}

std::string Show(const Decoded& d) {
  std::ostringstream os;
  PrintTo(d, &os);
  return os.str();
}

// Parses a stream cut at `cuts` and decodes every event.
std::vector<Decoded> DecodeStream(std::string_view stream,
                                  const std::vector<std::size_t>& cuts = {},
                                  ChunkDecoderOptions options = {}) {
  SseParser parser;
  ChunkDecoder decoder(options);
  std::vector<Decoded> out;
  const auto on_event = [&](const SseEvent& e) {
    out.push_back(Own(decoder.Decode(e.data, e.type)));
  };
  std::size_t from = 0;
  for (const std::size_t cut : cuts) {
    EXPECT_TRUE(parser.Feed(stream.substr(from, cut - from), on_event));
    from = cut;
  }
  EXPECT_TRUE(parser.Feed(stream.substr(from), on_event));
  const SseStreamEnd end = parser.Finish();
  EXPECT_TRUE(end.complete) << end.description;
  return out;
}

// The data of every event of a stream.
std::vector<std::string> EventData(std::string_view stream) {
  SseParser parser;
  std::vector<std::string> data;
  EXPECT_TRUE(parser.Feed(stream, [&](const SseEvent& e) { data.emplace_back(e.data); }));
  return data;
}

Decoded DecodeOne(std::string_view data, std::string_view event = "message",
                  ChunkDecoderOptions options = {}) {
  ChunkDecoder decoder(options);
  return Own(decoder.Decode(data, event));
}

// Text a chat chunk carrying `content` as a raw JSON string body.
std::string ChatChunk(std::string_view content_json) {
  std::string chunk = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":";
  chunk.append(content_json);
  chunk.append("},\"finish_reason\":null}]}");
  return chunk;
}

std::int64_t SumTokens(const std::vector<Decoded>& chunks) {
  std::int64_t sum = 0;
  for (const Decoded& d : chunks) sum += d.token_count;
  return sum;
}

// ---- Real streams ------------------------------------------------------------------------------

TEST(ChunkDecoder, VllmChatStream) {
  const std::vector<Decoded> chunks = DecodeStream(kVllmChat);
  ASSERT_EQ(chunks.size(), 9u);
  // The role-only first chunk is not a token.
  EXPECT_EQ(chunks[0].kind, ChunkKind::kNoOutput) << Show(chunks[0]);
  EXPECT_EQ(chunks[0].token_count, 0);
  EXPECT_EQ(chunks[0].count_source, TokenCountSource::kNone);
  const std::vector<std::string> texts = {"The", " capital", " is", " \"Par\xc3\xads\"",
                                          ".\n\xf0\x9f\x98\x80"};
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const Decoded& c = chunks[i + 1];
    EXPECT_EQ(c.kind, ChunkKind::kTokens) << Show(c);
    EXPECT_EQ(c.text, texts[i]);
    EXPECT_EQ(c.token_count, 1);
    EXPECT_EQ(c.count_source, TokenCountSource::kEstimate);
    EXPECT_EQ(c.finish_reason, "");
    EXPECT_EQ(c.choice_count, 1);
  }
  EXPECT_EQ(chunks[6].kind, ChunkKind::kNoOutput);
  EXPECT_EQ(chunks[6].finish_reason, "stop");
  EXPECT_EQ(chunks[6].token_count, 0);
  EXPECT_EQ(chunks[7].kind, ChunkKind::kUsage) << Show(chunks[7]);
  EXPECT_EQ(chunks[7].choice_count, 0);
  ASSERT_TRUE(chunks[7].usage.has_value());
  EXPECT_EQ(
      *chunks[7].usage,
      (ChunkUsage{
          .prompt_tokens = 42, .completion_tokens = 6, .total_tokens = 48, .cached_tokens = 32}));
  EXPECT_EQ(chunks[8].kind, ChunkKind::kDone);
  EXPECT_EQ(SumTokens(chunks), 5);  // estimated: one per content chunk
}

// The realistic stream split at every byte (and into random slices) decodes identically: the
// UTF-8 characters, escapes and [DONE] survive any cut.
TEST(ChunkDecoder, StreamsDecodeTheSameWhereverTheyAreCut) {
  std::mt19937 rng(7);
  for (const std::string_view stream : Streams()) {
    const std::vector<Decoded> whole = DecodeStream(stream);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      ASSERT_EQ(DecodeStream(stream, {cut}), whole) << "cut at " << cut;
    }
    for (int trial = 0; trial < 100; ++trial) {
      std::vector<std::size_t> cuts;
      std::uniform_int_distribution<std::size_t> step(1, 300);
      for (std::size_t at = step(rng); at < stream.size(); at += step(rng)) cuts.push_back(at);
      ASSERT_EQ(DecodeStream(stream, cuts), whole) << "trial " << trial;
    }
  }
}

TEST(ChunkDecoder, ContinuousUsageCountsTokensPerChunkExactly) {
  const std::vector<Decoded> chunks = DecodeStream(kVllmCompletionsContinuousUsage);
  ASSERT_EQ(chunks.size(), 5u);
  const std::vector<std::int64_t> counts = {1, 3, 2};
  const std::vector<std::string> texts = {" Paris", " is the capital", " of France"};
  for (std::size_t i = 0; i < counts.size(); ++i) {
    EXPECT_EQ(chunks[i].kind, ChunkKind::kTokens) << Show(chunks[i]);
    EXPECT_EQ(chunks[i].text, texts[i]);
    EXPECT_EQ(chunks[i].token_count, counts[i]) << Show(chunks[i]);
    EXPECT_EQ(chunks[i].count_source, TokenCountSource::kUsageDelta);
  }
  EXPECT_EQ(chunks[2].finish_reason, "length");
  EXPECT_EQ(chunks[3].kind, ChunkKind::kUsage);
  EXPECT_EQ(chunks[3].token_count, 0);
  EXPECT_EQ(SumTokens(chunks), chunks[3].usage->completion_tokens);
  EXPECT_EQ(chunks[4].kind, ChunkKind::kDone);
}

TEST(ChunkDecoder, ContinuousUsageOnAChatStreamStartsAtTheRoleChunk) {
  // vLLM chat with continuous_usage_stats: the role-only chunk already carries usage (0 tokens).
  ChunkDecoder decoder;
  const DecodedChunk role =
      decoder.Decode(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}],)"
                     R"("usage":{"prompt_tokens":5,"total_tokens":5,"completion_tokens":0}})");
  EXPECT_EQ(role.kind, ChunkKind::kNoOutput);
  EXPECT_EQ(role.count_source, TokenCountSource::kUsageDelta);
  EXPECT_EQ(role.token_count, 0);
  const DecodedChunk token =
      decoder.Decode(R"({"choices":[{"index":0,"delta":{"content":"Hi"}}],)"
                     R"("usage":{"prompt_tokens":5,"total_tokens":7,"completion_tokens":2}})");
  EXPECT_EQ(token.kind, ChunkKind::kTokens);
  EXPECT_EQ(token.count_source, TokenCountSource::kUsageDelta);
  EXPECT_EQ(token.token_count, 2);
  EXPECT_TRUE(token.count_exact());
  const DecodedChunk finish =
      decoder.Decode(R"({"choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],)"
                     R"("usage":{"prompt_tokens":5,"total_tokens":7,"completion_tokens":2}})");
  EXPECT_EQ(finish.kind, ChunkKind::kNoOutput);
  EXPECT_EQ(finish.token_count, 0);
  EXPECT_EQ(finish.finish_reason, "stop");
}

TEST(ChunkDecoder, TokenIdsCountExactlyIncludingHeldBackTokens) {
  const std::vector<Decoded> chunks = DecodeStream(kVllmChatTokenIds);
  ASSERT_EQ(chunks.size(), 6u);
  EXPECT_EQ(chunks[0].kind, ChunkKind::kNoOutput);
  EXPECT_EQ(chunks[0].prompt_token_count, 7);
  EXPECT_EQ(chunks[1].token_ids, (std::vector<TokenId>{13347}));
  EXPECT_EQ(chunks[1].count_source, TokenCountSource::kTokenIds);
  // A token the detokenizer held back: no text yet, but a token.
  EXPECT_EQ(chunks[2].kind, ChunkKind::kTokens) << Show(chunks[2]);
  EXPECT_EQ(chunks[2].text, "");
  EXPECT_EQ(chunks[2].token_count, 1);
  EXPECT_EQ(chunks[3].text, " \xf0\x9f\x91\x8b");
  EXPECT_EQ(chunks[3].token_count, 2);
  // The end-of-sequence token arrives with the finish reason and counts.
  EXPECT_EQ(chunks[4].kind, ChunkKind::kTokens);
  EXPECT_EQ(chunks[4].token_count, 1);
  EXPECT_EQ(chunks[4].finish_reason, "stop");
  EXPECT_EQ(SumTokens(chunks), 5);
}

TEST(ChunkDecoder, SglangReasoningStream) {
  const std::vector<Decoded> chunks = DecodeStream(kSglangReasoning);
  ASSERT_EQ(chunks.size(), 6u);
  EXPECT_EQ(chunks[0].kind, ChunkKind::kNoOutput);
  EXPECT_EQ(chunks[1].kind, ChunkKind::kTokens);
  EXPECT_EQ(chunks[1].reasoning, "Two plus two");
  EXPECT_EQ(chunks[1].text, "");
  EXPECT_EQ(chunks[2].text, "4");
  EXPECT_EQ(chunks[2].reasoning, "");
  EXPECT_EQ(chunks[3].kind, ChunkKind::kNoOutput);
  EXPECT_EQ(chunks[3].finish_reason, "stop");
  EXPECT_EQ(chunks[4].kind, ChunkKind::kUsage);
  EXPECT_EQ(*chunks[4].usage,
            (ChunkUsage{.prompt_tokens = 12, .completion_tokens = 8, .total_tokens = 20}));
  EXPECT_FALSE(chunks[4].usage->cached_tokens.has_value());
  EXPECT_EQ(chunks[5].kind, ChunkKind::kDone);
}

TEST(ChunkDecoder, VllmReasoningFieldsOldAndNew) {
  ChunkDecoder decoder;
  EXPECT_EQ(decoder.Decode(R"({"choices":[{"index":0,"delta":{"reasoning":"Hmm"}}]})").reasoning,
            "Hmm");
  EXPECT_EQ(
      decoder.Decode(R"({"choices":[{"index":0,"delta":{"reasoning_content":"Hm"}}]})").reasoning,
      "Hm");
  // Some versions send both names with the same text: counted once.
  const DecodedChunk both = decoder.Decode(
      R"({"choices":[{"index":0,"delta":{"reasoning":"x","reasoning_content":"x"}}]})");
  EXPECT_EQ(both.reasoning, "x");
  EXPECT_EQ(both.token_count, 1);
}

TEST(ChunkDecoder, LlamaCppUsageOnTheLastChunkIsNotAChunkCount) {
  const std::vector<Decoded> chunks = DecodeStream(kLlamaCppChat);
  ASSERT_EQ(chunks.size(), 5u);
  EXPECT_EQ(chunks[0].kind, ChunkKind::kNoOutput);  // content: null
  EXPECT_EQ(chunks[1].text, "Hi");
  EXPECT_EQ(chunks[2].text, " there");
  EXPECT_EQ(chunks[3].kind, ChunkKind::kNoOutput) << Show(chunks[3]);
  EXPECT_EQ(chunks[3].token_count, 0);
  EXPECT_EQ(chunks[3].finish_reason, "stop");
  ASSERT_TRUE(chunks[3].usage.has_value());
  EXPECT_EQ(chunks[3].usage->completion_tokens, 3);
  EXPECT_EQ(chunks[4].kind, ChunkKind::kDone);
}

TEST(ChunkDecoder, LlamaCppErrorLine) {
  const std::vector<Decoded> chunks = DecodeStream(kLlamaCppError);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, "A");
  EXPECT_EQ(chunks[1].kind, ChunkKind::kError);
  EXPECT_EQ(chunks[1].error_source, ChunkErrorSource::kServer);
  EXPECT_EQ(chunks[1].error_message, "Input prompt is too big compared to KV size.");
  EXPECT_EQ(chunks[1].error_type, "server_error");
}

TEST(ChunkDecoder, OpenAiStream) {
  const std::vector<Decoded> chunks = DecodeStream(kOpenAiChat);
  ASSERT_EQ(chunks.size(), 6u);
  EXPECT_EQ(chunks[0].kind, ChunkKind::kNoOutput);
  EXPECT_FALSE(chunks[0].usage.has_value());  // "usage": null
  EXPECT_EQ(chunks[1].text, "Hello");
  EXPECT_EQ(chunks[2].text, "!");
  EXPECT_EQ(chunks[3].finish_reason, "stop");
  EXPECT_EQ(chunks[4].kind, ChunkKind::kUsage);
  EXPECT_EQ(*chunks[4].usage, (ChunkUsage{.prompt_tokens = 19,
                                          .completion_tokens = 2,
                                          .total_tokens = 21,
                                          .cached_tokens = 0,
                                          .reasoning_tokens = 0}));
  EXPECT_EQ(chunks[5].kind, ChunkKind::kDone);
}

TEST(ChunkDecoder, OpenAiRefusalIsOutput) {
  const Decoded d =
      DecodeOne(R"({"choices":[{"index":0,"delta":{"refusal":"I can't help with that."}}]})");
  EXPECT_EQ(d.kind, ChunkKind::kTokens);
  EXPECT_EQ(d.refusal, "I can't help with that.");
  EXPECT_EQ(d.text, "");
}

TEST(ChunkDecoder, TgiRoleOnEveryDelta) {
  const std::vector<Decoded> chunks = DecodeStream(kTgiChat);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].kind, ChunkKind::kTokens);
  EXPECT_EQ(chunks[0].text, "Hello");
  EXPECT_EQ(chunks[1].kind, ChunkKind::kNoOutput);
  EXPECT_EQ(chunks[1].finish_reason, "length");
}

TEST(ChunkDecoder, ToolCallsAreOutput) {
  const std::vector<Decoded> chunks = DecodeStream(kVllmToolCalls);
  ASSERT_EQ(chunks.size(), 5u);
  EXPECT_EQ(chunks[0].kind, ChunkKind::kTokens);
  EXPECT_EQ(chunks[0].tool_call_bytes, 11);  // "get_weather"
  EXPECT_EQ(chunks[1].tool_call_bytes, 10);  // {"city": "
  EXPECT_EQ(chunks[2].tool_call_bytes, 7);   // Paris"}
  EXPECT_EQ(chunks[2].token_count, 1);
  EXPECT_EQ(chunks[3].kind, ChunkKind::kNoOutput);
  EXPECT_EQ(chunks[3].finish_reason, "tool_calls");
  // The legacy function_call delta too.
  EXPECT_EQ(DecodeOne(R"({"choices":[{"index":0,"delta":{"function_call":{"arguments":"{}"}}}]})")
                .tool_call_bytes,
            2);
}

// ---- Token counting rules ----------------------------------------------------------------------

TEST(ChunkDecoder, RoleOnlyAndEmptyDeltasAreNotTokens) {
  for (const std::string_view data : {
           R"({"choices":[{"index":0,"delta":{"role":"assistant"}}]})",
           R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",
           R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]})",
           R"({"choices":[{"index":0,"delta":{}}]})",
           R"({"choices":[{"index":0,"delta":null}]})",
           R"({"choices":[{"index":0,"text":""}]})",
           R"({"choices":[{"index":0,"delta":{"tool_calls":[]}}]})",
       }) {
    const Decoded d = DecodeOne(data);
    EXPECT_EQ(d.kind, ChunkKind::kNoOutput) << data;
    EXPECT_EQ(d.token_count, 0) << data;
    EXPECT_EQ(d.count_source, TokenCountSource::kNone) << data;
  }
  // Azure's prompt-filter chunk: empty choices, no usage.
  EXPECT_EQ(
      DecodeOne(R"({"choices":[],"created":0,"id":"","model":"","object":"",)"
                R"("prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]})")
          .kind,
      ChunkKind::kNoOutput);
  // An event with empty data.
  EXPECT_EQ(DecodeOne("").kind, ChunkKind::kNoOutput);
  EXPECT_EQ(DecodeOne(" \n").kind, ChunkKind::kNoOutput);
}

TEST(ChunkDecoder, DoneWithSurroundingWhitespace) {
  EXPECT_EQ(DecodeOne("[DONE]").kind, ChunkKind::kDone);
  EXPECT_EQ(DecodeOne(" [DONE]\r\n").kind, ChunkKind::kDone);
  EXPECT_EQ(DecodeOne("[DONE]x").kind, ChunkKind::kError);
}

TEST(ChunkDecoder, UsageDeltaNeedsUsageOnEveryChunk) {
  ChunkDecoder decoder;
  // First chunk without usage: later usage objects are not per-chunk counts.
  EXPECT_EQ(decoder.Decode(R"({"choices":[{"index":0,"text":"a"}]})").count_source,
            TokenCountSource::kEstimate);
  const DecodedChunk late =
      decoder.Decode(R"({"choices":[{"index":0,"text":"b"}],"usage":{"completion_tokens":2}})");
  EXPECT_EQ(late.count_source, TokenCountSource::kEstimate);
  EXPECT_EQ(late.token_count, 1);
  // A new stream starts over.
  decoder.Reset();
  const DecodedChunk first =
      decoder.Decode(R"({"choices":[{"index":0,"text":"ab"}],"usage":{"completion_tokens":2}})");
  EXPECT_EQ(first.count_source, TokenCountSource::kUsageDelta);
  EXPECT_EQ(first.token_count, 2);
  // A usage that goes backwards is not believed.
  const DecodedChunk back =
      decoder.Decode(R"({"choices":[{"index":0,"text":"c"}],"usage":{"completion_tokens":1}})");
  EXPECT_EQ(back.count_source, TokenCountSource::kEstimate);
  // Token ids win over usage.
  const DecodedChunk ids = decoder.Decode(
      R"({"choices":[{"index":0,"text":"d","token_ids":[1,2,3]}],"usage":{"completion_tokens":9}})");
  EXPECT_EQ(ids.count_source, TokenCountSource::kTokenIds);
  EXPECT_EQ(ids.token_count, 3);
}

TEST(ChunkDecoder, SeveralChoicesKeepTheirOwnUsage) {
  // n=2 with continuous usage: chunks of the two choices interleave.
  ChunkDecoder decoder;
  const auto chunk = [&](int index, const char* text, int completion) {
    std::ostringstream os;
    os << R"({"choices":[{"index":)" << index << R"(,"text":")" << text
       << R"("}],"usage":{"prompt_tokens":3,"completion_tokens":)" << completion << "}}";
    return Own(decoder.Decode(os.str()));
  };
  EXPECT_EQ(chunk(0, "a", 1).token_count, 1);
  EXPECT_EQ(chunk(1, "b", 2).token_count, 2);
  const Decoded third = chunk(0, "c", 3);
  EXPECT_EQ(third.token_count, 2);
  EXPECT_EQ(third.choice_index, 0);
  EXPECT_EQ(chunk(1, "d", 3).token_count, 1);
  // choice_count shows a chunk carrying both choices; the first one is decoded.
  const Decoded two =
      Own(decoder.Decode(R"({"choices":[{"index":0,"text":"x"},{"index":1,"text":"y"}]})"));
  EXPECT_EQ(two.choice_count, 2);
  EXPECT_EQ(two.text, "x");
}

// ---- Strings -----------------------------------------------------------------------------------

TEST(ChunkDecoder, UndoesJsonEscapes) {
  ChunkDecoder decoder;
  const DecodedChunk d =
      decoder.Decode(ChatChunk(R"("q\"b\\s\/ \b\f\n\r\t \u00e9\u4e16 \ud83d\ude00 \u0041")"));
  EXPECT_EQ(d.kind, ChunkKind::kTokens);
  EXPECT_EQ(d.text, "q\"b\\s/ \b\f\n\r\t \xc3\xa9\xe4\xb8\x96 \xf0\x9f\x98\x80 A");
  EXPECT_EQ(decoder.fast_path_chunks(), 1u);
  EXPECT_EQ(decoder.slow_path_chunks(), 0u);
  // Raw UTF-8 of every length passes through.
  EXPECT_EQ(decoder.Decode(ChatChunk("\"\xc3\xa9\xe4\xb8\x96\xf0\x9f\x98\x80\"")).text,
            "\xc3\xa9\xe4\xb8\x96\xf0\x9f\x98\x80");
  // \u0000 is a NUL byte in the text.
  EXPECT_EQ(decoder.Decode(ChatChunk(R"("a\u0000b")")).text, std::string_view("a\0b", 3));
}

TEST(ChunkDecoder, InvalidStringsAreMalformed) {
  for (const std::string& content : {
           std::string(R"("\ud83d")"),           // a high surrogate alone
           std::string(R"("\ude00x")"),          // a low surrogate alone
           std::string(R"("\ud83d\u0041")"),     // a high surrogate with a non-surrogate
           std::string(R"("\x41")"),             // not a JSON escape
           std::string(R"("\u12G4")"),           // not hex
           std::string("\"a\xff\""),             // not UTF-8
           std::string("\"\xc0\xaf\""),          // overlong
           std::string("\"\xed\xa0\x80\""),      // an encoded surrogate
           std::string("\"\xf4\x90\x80\x80\""),  // above U+10FFFF
           std::string("\"\xe4\xb8\""),          // cut short
           std::string("\"a\nb\""),              // a raw control character
       }) {
    const Decoded d = DecodeOne(ChatChunk(content));
    EXPECT_EQ(d.kind, ChunkKind::kError) << content;
    EXPECT_EQ(d.error_source, ChunkErrorSource::kMalformed) << content;
    EXPECT_NE(d.error_message.find("malformed chunk"), std::string::npos) << d.error_message;
    EXPECT_NE(d.error_message.find("byte"), std::string::npos) << d.error_message;
  }
}

// ---- Errors ------------------------------------------------------------------------------------

TEST(ChunkDecoder, ServerErrorShapes) {
  struct Case {
    std::string_view data;
    std::string_view event;
    std::string_view message;
    std::string_view type;
  };
  for (const Case& c : {
           // vLLM (current), OpenAI mid-stream.
           Case{R"({"error":{"message":"The model `x` does not exist.","type":"NotFoundError",)"
                R"("param":"model","code":404}})",
                "message", "The model `x` does not exist.", "NotFoundError"},
           Case{R"({"error":{"message":"The server had an error while processing your request.",)"
                R"("type":"server_error","param":null,"code":null}})",
                "message", "The server had an error while processing your request.",
                "server_error"},
           // Older vLLM.
           Case{R"({"object":"error","message":"maximum context length is 4096 tokens",)"
                R"("type":"BadRequestError","param":null,"code":400})",
                "message", "maximum context length is 4096 tokens", "BadRequestError"},
           // Doubly wrapped; a code instead of a type.
           Case{R"({"error":{"error":{"message":"inner","code":503}}})", "message", "inner", "503"},
           // TGI.
           Case{R"({"error":"Input validation error: `inputs` must have less than 4096 tokens",)"
                R"("error_type":"validation"})",
                "message", "Input validation error: `inputs` must have less than 4096 tokens",
                "validation"},
           // event: error with JSON, with text, with nothing.
           Case{R"({"message":"overloaded"})", "error", "overloaded", ""},
           Case{R"({"error":{"message":"boom","type":"internal"}})", "error", "boom", "internal"},
           Case{"upstream connect error", "error", "upstream connect error", ""},
           Case{"", "error", "the server sent an error event without data", ""},
       }) {
    for (const bool fast : {true, false}) {
      const Decoded d = DecodeOne(c.data, c.event, {.fast_path = fast});
      EXPECT_EQ(d.kind, ChunkKind::kError) << c.data;
      EXPECT_EQ(d.error_source, ChunkErrorSource::kServer) << c.data;
      EXPECT_EQ(d.error_message, c.message) << c.data;
      EXPECT_EQ(d.error_type, c.type) << c.data;
    }
  }
  // An error object without a message: the object itself is the message.
  const Decoded bare = DecodeOne(R"({"error":{"code":500}})");
  EXPECT_EQ(bare.error_message, R"({"code":500})");
  // "error": null is no error.
  EXPECT_EQ(DecodeOne(R"({"error":null,"choices":[{"index":0,"text":"a"}]})").kind,
            ChunkKind::kTokens);
}

TEST(ChunkDecoder, MalformedJsonNamesTheOffsetAndShowsAnExcerpt) {
  const Decoded truncated = DecodeOne(R"({"choices":[{"index":0,"delta":{"content":"Hel)");
  EXPECT_EQ(truncated.kind, ChunkKind::kError);
  EXPECT_EQ(truncated.error_source, ChunkErrorSource::kMalformed);
  EXPECT_NE(truncated.error_message.find("byte 46 of 46"), std::string::npos)
      << truncated.error_message;
  EXPECT_NE(truncated.error_message.find(R"("content":"Hel)"), std::string::npos)
      << truncated.error_message;

  const Decoded garbage = DecodeOne("{\"choices\": [}");
  EXPECT_NE(garbage.error_message.find("byte 13 of 14"), std::string::npos)
      << garbage.error_message;

  for (const std::string_view data : {
           "not json",
           "{",
           "{}}",
           R"({"a":1,})",
           R"({"a":01})",
           R"({"a":1.})",
           R"({"a":-})",
           R"({"a":tru})",
           R"({'a':1})",
           R"({"a" 1})",
           "\"string\"x",
           R"({"created":1e999})",
       }) {
    const Decoded d = DecodeOne(data);
    EXPECT_EQ(d.kind, ChunkKind::kError) << data;
    EXPECT_EQ(d.error_source, ChunkErrorSource::kMalformed) << data;
    EXPECT_NE(d.error_message.find("malformed chunk: "), std::string::npos) << d.error_message;
  }
}

TEST(ChunkDecoder, WrongFieldTypesAreNamed) {
  struct Case {
    std::string_view data;
    std::string_view message;
  };
  for (const Case& c : {
           Case{"[1,2]", "the chunk is an array, expected a JSON object"},
           Case{"42", "the chunk is a number, expected a JSON object"},
           Case{R"({"choices":{}})", "field 'choices' is an object, expected an array or null"},
           Case{R"({"choices":[7]})", "field 'choices[0]' is a number, expected an object"},
           Case{R"({"choices":[{"delta":{"content":5}}]})",
                "field 'choices[0].delta.content' is a number, expected a string or null"},
           Case{R"({"choices":[{"text":["a"]}]})",
                "field 'choices[0].text' is an array, expected a string or null"},
           Case{R"({"choices":[{"index":"0"}]})",
                "field 'choices[0].index' is a string, expected an integer"},
           Case{R"({"choices":[{"index":0.5}]})",
                "field 'choices[0].index' is a number, expected an integer"},
           Case{R"({"choices":[{"token_ids":[1,"2"]}]})",
                "field 'choices[0].token_ids[1]' is a string, expected an integer"},
           Case{R"({"choices":[{"token_ids":[4294967296]}]})",
                "field 'choices[0].token_ids[0]' is 4294967296, out of the range of a token id"},
           Case{R"({"usage":[]})", "field 'usage' is an array, expected an object or null"},
           Case{R"({"usage":{"completion_tokens":"3"}})",
                "field 'usage.completion_tokens' is a string, expected an integer"},
           Case{R"({"usage":{"prompt_tokens":99999999999999999999}})",
                "field 'usage.prompt_tokens' is a number, expected an integer"},
           Case{R"({"usage":{"prompt_tokens":18446744073709551615}})",
                "field 'usage.prompt_tokens' is 18446744073709551615, too large for a 64-bit "
                "integer"},
           Case{R"({"choices":[{"delta":{"tool_calls":{}}}]})",
                "field 'choices[0].delta.tool_calls' is an object, expected an array or null"},
       }) {
    const Decoded d = DecodeOne(c.data);
    EXPECT_EQ(d.kind, ChunkKind::kError) << c.data;
    EXPECT_EQ(d.error_source, ChunkErrorSource::kMalformed) << c.data;
    EXPECT_NE(d.error_message.find(c.message), std::string::npos)
        << c.data << "\n  got: " << d.error_message;
  }
}

TEST(ChunkDecoder, DeepNestingDoesNotCrash) {
  std::string deep = R"({"choices":[{"index":0,"text":"a"}],"extra":)";
  deep.append(20000, '[');
  deep.append(20000, ']');
  deep.append("}");
  ChunkDecoder decoder;
  const DecodedChunk d = decoder.Decode(deep);
  EXPECT_EQ(d.kind, ChunkKind::kTokens);
  EXPECT_EQ(d.text, "a");
  EXPECT_EQ(decoder.slow_path_chunks(), 1u);  // deeper than the scanner goes
  std::string unclosed = R"({"extra":)";
  unclosed.append(20000, '{');
  EXPECT_EQ(decoder.Decode(unclosed).kind, ChunkKind::kError);
}

TEST(ChunkDecoder, EscapedKeysAndDuplicatesGoToNlohmann) {
  ChunkDecoder decoder;
  EXPECT_EQ(decoder.Decode(R"({"choi\u0063es":[{"index":0,"text":"a"}]})").text, "a");
  EXPECT_EQ(decoder.slow_path_chunks(), 1u);
  // A duplicated key: nlohmann keeps the last one.
  EXPECT_EQ(decoder.Decode(R"({"choices":[{"index":0,"text":"a","text":"b"}]})").text, "b");
  EXPECT_EQ(decoder.slow_path_chunks(), 2u);
}

// ---- The scanner against nlohmann --------------------------------------------------------------

// Every event of every fixture, plus thousands of mutations of them (bytes replaced, inserted,
// removed, data cut short), decode to the same result through the scanner as through nlohmann
// alone -- the scanner never accepts what nlohmann rejects, nor reads anything differently.
TEST(ChunkDecoder, ScannerAgreesWithNlohmann) {
  std::vector<std::string> corpus;
  for (const std::string_view stream : Streams()) {
    for (std::string& data : EventData(stream)) corpus.push_back(std::move(data));
  }
  for (
      const char* extra : {
          R"({"choices":[{"index":0,"delta":{"content":"q\"b\\ \u00e9 \ud83d\ude00"}}]})",
          R"({"choices":[{"index":0,"text":"x","logprobs":{"tokens":["x"],"token_logprobs":[-1.5e-05],"top_logprobs":[{"x":-0.01}],"text_offset":[0]}}]})",
          R"( { "choices" : [ { "index" : 1 , "text" : "y" , "token_ids" : [ 1 , -2 ] } ] , "usage" : { "prompt_tokens" : 0 , "completion_tokens" : 1 , "prompt_tokens_details" : { "cached_tokens" : null } } } )",
          R"({"choices":[{"index":0,"delta":{"content":"a"}}],"big":123456789012345678901234567890,"neg":-0,"f":0.5e+3,"t":true,"n":null,"o":{"k":[[],{}]}})",
      }) {
    corpus.emplace_back(extra);
  }
  const std::string interesting = "\"\\{}[],:0-1e.un \n\xc3\xa9\xff\x80tfl";
  std::mt19937 rng(12345);
  std::vector<std::string> inputs = corpus;
  for (const std::string& base : corpus) {
    for (int i = 0; i < 150; ++i) {
      std::string mutated = base;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !mutated.empty(); ++e) {
        const std::size_t at = rng() % mutated.size();
        const char c = interesting[rng() % interesting.size()];
        switch (rng() % 4) {
          case 0:
            mutated[at] = c;
            break;
          case 1:
            mutated.insert(mutated.begin() + static_cast<std::ptrdiff_t>(at), c);
            break;
          case 2:
            mutated.erase(at, 1);
            break;
          default:
            mutated.resize(at);
            break;
        }
      }
      inputs.push_back(std::move(mutated));
    }
  }
  ChunkDecoder fast;
  ChunkDecoder slow({.fast_path = false});
  std::size_t accepted = 0;
  for (const std::string& data : inputs) {
    fast.Reset();
    slow.Reset();
    const Decoded a = Own(fast.Decode(data));
    const Decoded b = Own(slow.Decode(data));
    ASSERT_EQ(a, b) << "data: " << data;
    if (a.kind != ChunkKind::kError) ++accepted;
  }
  // The scanner did the work for the well-formed fixtures, and the mutations exercised both
  // outcomes.
  EXPECT_GT(fast.fast_path_chunks(), corpus.size() / 2);
  EXPECT_GT(accepted, inputs.size() / 10);
  EXPECT_LT(accepted, inputs.size());
  // Whole streams agree too (the usage accounting runs across chunks).
  for (const std::string_view stream : Streams()) {
    EXPECT_EQ(DecodeStream(stream), DecodeStream(stream, {}, {.fast_path = false}));
  }
}

TEST(ChunkDecoder, CommonChunksTakeTheFastPathAndAllocateNothing) {
  const std::vector<std::string> data = EventData(kVllmChat);
  const std::vector<std::string> usage = EventData(kVllmCompletionsContinuousUsage);
  const std::vector<std::string> ids = EventData(kVllmChatTokenIds);
  ChunkDecoder decoder;
  std::int64_t tokens = 0;
  const auto decode_all = [&] {
    for (const auto* events : {&data, &usage, &ids}) {
      decoder.Reset();
      for (const std::string& d : *events) tokens += decoder.Decode(d).token_count;
    }
  };
  decode_all();  // warm up: buffers reach their working size
  const std::uint64_t before = AllocationCount();
  for (int i = 0; i < 10; ++i) decode_all();
  const std::uint64_t allocations = AllocationCount() - before;
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(decoder.slow_path_chunks(), 0u);
  EXPECT_GT(tokens, 0);
}

}  // namespace
}  // namespace infermeter::engines::openai::testing
