#pragma once
// The OpenAI-compatible client: an Engine that sends each request to a serving stack (vLLM,
// SGLang, TensorRT-LLM's trtllm-serve, MindIE, llama.cpp, `infermeter serve`) as one streaming
// HTTP request and reports the stream's chunks as they arrive. One I/O thread drives every
// stream through libcurl's multi interface (one connection per in-flight stream, kept alive and
// reused), so thousands of concurrent streams cost one thread, and a chunk is timed in the
// write callback that delivers its bytes.
//
// What is sent (docs/REMOTE.md has the details):
//   * /v1/completions with the prompt as token ids (exact input lengths; the default, what trace
//     replay wants) or as text rendered from the ids (servers that refuse id prompts);
//   * /v1/chat/completions with the session's message history (agentic sessions): earlier
//     prompts as user messages and the server's actual replies as assistant messages;
//   * always `stream: true` with `stream_options.include_usage`, `max_tokens`, and, unless
//     switched off, vLLM's `ignore_eos` and `min_tokens` for exact output lengths;
//   * the session id as a header (`X-Session-ID` by default) for routers with session affinity.
//
// Errors are classified (EngineFailure::error_class): "connect", "timeout", "http_<status>" (with
// an excerpt of the body), "stream_cut", "malformed_event", "server_error_event", "not_streamed",
// "transport". Connect failures and 429 answers with Retry-After are retried, a few times;
// nothing is retried once a response has started.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "infermeter/core/engine.h"

namespace infermeter::engines {

enum class OpenAiApi { kCompletions, kChat };

// How token ids become text when text is sent (chat, or completions with text prompts).
enum class PromptText {
  kWords,  // one common English word per id (" the", " of", ...): about one token per id in the
           // BPE vocabularies of Llama, Qwen, DeepSeek and GPT models
  kBytes,  // one printable ASCII character per id: exact for byte-level tokenizers
           // (`infermeter serve`)
};

struct OpenAiEngineOptions {
  // Where the server is: "http://HOST:PORT" or "http://HOST:PORT/v1" (the endpoint path is
  // appended to what remains after a trailing "/v1").
  std::string base_url = "http://127.0.0.1:8000";
  std::string model;  // the served model name, sent as `model`; required
  OpenAiApi api = OpenAiApi::kCompletions;
  bool token_id_prompts = true;  // completions: send ids (else text rendered from the ids)
  PromptText prompt_text = PromptText::kWords;
  // The API key, already read from the environment or a file by the caller: sent as
  // "Authorization: Bearer ...", never stored in the results and never logged.
  std::string api_key;
  // vLLM's ignore_eos + min_tokens (exact output lengths); servers that reject unknown fields
  // need it off.
  bool exact_output_lengths = true;
  // vLLM's `return_token_ids` (exact tokens per chunk even when a chunk merges several).
  bool return_token_ids = false;
  // vLLM's `stream_options.continuous_usage_stats` (usage in every chunk: exact counts).
  bool continuous_usage_stats = false;
  std::string session_header = "X-Session-ID";  // "" sends no session header
  std::vector<std::string> extra_headers;       // "Name: value"
  // A JSON object whose members are added to every request body (e.g. {"top_k": 1}).
  std::string extra_body_json;

  std::int64_t connect_timeout_ms = 10'000;
  // A whole request, from sending to the end of the stream.
  std::int64_t request_timeout_ms = 600'000;
  // A stream that delivers no byte for this long is cut (timeout).
  std::int64_t idle_timeout_ms = 120'000;
  int connect_retries = 3;     // attempts after the first when a connection fails
  int rate_limit_retries = 3;  // 429 answers with Retry-After honoured
  std::int64_t max_retry_after_ms = 60'000;
  // Simultaneous connections to the server; 0: one per in-flight request, no cap.
  int max_connections = 0;
  bool http2 = false;  // HTTP/2 with prior knowledge (h2c), streams multiplexed
};

// The model names the server lists at GET /v1/models (OpenAI's list shape). Throws Error naming
// the URL and what went wrong (connection, status, body) when it cannot tell.
std::vector<std::string> ListServedModels(const std::string& base_url, const std::string& api_key,
                                          std::int64_t timeout_ms = 10'000);

// Checks the options (URL scheme, model, extra body) and starts the I/O thread; throws
// InputError naming the option when one is unusable. Nothing is sent until the first Submit.
std::unique_ptr<Engine> MakeOpenAiEngine(const OpenAiEngineOptions& options);

}  // namespace infermeter::engines
