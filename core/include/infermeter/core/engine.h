#pragma once
// The engine interface: the one thing the harness knows about an inference engine. The embedded
// reference engine (engines/reference) and the OpenAI-compatible HTTP client implement it; the
// harness never sees which. It is transport-neutral on purpose: nothing here knows about HTTP,
// threads or model weights (MLPerf LoadGen's "the load generator sees only a system under test").
//
// Asynchronous: Submit returns at once; the engine later calls the request's ResponseSink from
// one of its own threads with zero or more chunks, then exactly one OnFinish or OnError. After
// that call the engine never touches the sink again.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/core/ids.h"

namespace infermeter {

using TokenId = std::int32_t;

// How the next token is picked. temperature == 0 is greedy (deterministic).
struct SamplingParams {
  double temperature = 0.0;
  double top_p = 1.0;
  std::int32_t top_k = 0;  // 0: no top-k cut
  std::uint64_t seed = 0;  // with temperature > 0: same seed, same tokens
};

struct EngineRequest {
  RequestId id;
  // The prompt as token ids, or as text when prompt_tokens is empty (the engine tokenizes).
  std::vector<TokenId> prompt_tokens;
  std::string prompt_text;
  std::int64_t max_output_tokens = 16;
  bool ignore_eos = false;  // generate exactly max_output_tokens
  SamplingParams sampling;
  // Requests of one agentic session or conversation share an id: engines may use it for cache
  // affinity (an HTTP engine sends it as a header).
  std::string session_id;
};

// Tokens the engine produced since its last chunk for this request.
struct EngineChunk {
  RequestId id;
  std::vector<TokenId> tokens;      // may be empty when the transport gives only text
  std::int64_t token_count = 0;     // tokens in this chunk (== tokens.size() when ids are known)
  std::string text;                 // decoded text when the engine has it, else empty
  std::int64_t engine_time_ns = 0;  // engine's monotonic clock when the chunk was emitted
  // The chunk's tokens are reasoning ("thinking") output, not visible content: time to first
  // token counts them, time to first visible token does not.
  bool reasoning = false;
};

enum class FinishReason {
  kLength,     // reached max_output_tokens
  kStop,       // end-of-sequence token or a stop string
  kCancelled,  // Cancel() was called
};
std::string_view ToString(FinishReason reason);

struct EngineUsage {
  std::int64_t prompt_tokens = 0;
  std::int64_t cached_prompt_tokens = 0;  // served from the prefix cache, not recomputed
  std::int64_t completion_tokens = 0;
  std::int64_t reasoning_tokens = 0;  // of completion_tokens, reasoning output (when known)
};

struct EngineFinish {
  RequestId id;
  EngineUsage usage;
  FinishReason reason = FinishReason::kLength;
  std::int64_t engine_time_ns = 0;
  // Time from Submit until the engine first scheduled the request, when the engine knows it.
  std::optional<std::int64_t> queue_time_ns;
  // HTTP engines: when the connection was ready and when the response's first byte arrived
  // (monotonic clock, like every time the harness records).
  std::optional<std::int64_t> connected_ns;
  std::optional<std::int64_t> first_byte_ns;
};

struct EngineFailure {
  RequestId id;
  std::string message;  // says what failed and why ("prompt of 9000 tokens exceeds ...")
  std::int64_t engine_time_ns = 0;
  // A short, bounded class for grouping errors ("rejected", "connect", "http_503", "timeout");
  // "" lets the harness call it "engine_error".
  std::string error_class;
};

// Receives one request's output. Engines call it from their own threads, one call at a time per
// request; implementations must be quick (record and return) and must not call back into the
// engine's Submit or Cancel from inside these methods.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void OnChunk(const EngineChunk& chunk) = 0;
  virtual void OnFinish(const EngineFinish& finish) = 0;
  virtual void OnError(const EngineFailure& failure) = 0;
};

// FLOPs executed, by the same op classes as the analytic cost model (models/flops.h).
enum class OpClass : std::uint8_t {
  kDenseGemm,   // non-expert weight matmuls: projections, dense FFN, routers, LM head
  kExpertGemm,  // routed and shared expert matmuls
  kAttention,   // attention scores and values
  kIndexer,     // lightning indexer: projections, key compressor, scores
  kCompressor,  // V4 KV compressors
  kOther,       // everything else counted (V4 mHC mixing)
};
inline constexpr std::size_t kOpClassCount = 6;
std::string_view ToString(OpClass op_class);

using FlopsByOpClass = std::array<double, kOpClassCount>;

// KV-cache bytes of one kind of cache content ("tokens", "compressed", "indexer_keys",
// "window", "compressor_state"; engines name their own kinds).
struct KvKindBytes {
  std::string kind;
  std::int64_t used_bytes = 0;       // bytes holding live entries now
  std::int64_t allocated_bytes = 0;  // bytes in blocks handed out now (>= used)
  std::int64_t peak_used_bytes = 0;  // max of used_bytes so far
};

// A snapshot of what the engine is doing; cheap enough to poll every 100 ms. Counters only grow.
struct EngineStats {
  std::int64_t kv_used_bytes = 0;
  std::int64_t kv_allocated_bytes = 0;
  std::int64_t kv_peak_used_bytes = 0;
  std::int64_t kv_capacity_bytes = 0;  // 0 when the engine does not say
  // Fraction of the KV cache in use (0..1), for engines that report only that (vLLM's
  // `vllm:kv_cache_usage_perc`); nullopt when the engine reports bytes instead.
  std::optional<double> kv_usage_ratio;
  std::vector<KvKindBytes> kv_by_kind;
  std::int64_t running_requests = 0;
  std::int64_t waiting_requests = 0;
  std::int64_t prefix_cache_queried_tokens = 0;  // prompt tokens looked up
  std::int64_t prefix_cache_hit_tokens = 0;      // of those, found in the cache
  std::int64_t preemptions = 0;
  std::int64_t steps = 0;  // scheduler iterations
  std::int64_t prompt_tokens_computed = 0;
  std::int64_t generated_tokens = 0;
  FlopsByOpClass flops{};  // FLOPs executed so far, by op class

  double TotalFlops() const;
};

struct EngineDescription {
  std::string name;     // "reference", "openai"
  std::string model;    // model or preset name
  std::string details;  // one line: dtype, cache format, threads, endpoint, ...
  // True when EngineStats::flops counts what the engine executed; otherwise collectors fall
  // back to the analytic cost model.
  bool counts_flops = false;
};

class Engine {
 public:
  virtual ~Engine() = default;

  virtual EngineDescription Describe() const = 0;
  // Queues a request. A request the engine can never serve (empty prompt, prompt longer than
  // the context) is answered through sink->OnError, not by throwing. `sink` must stay valid
  // until its OnFinish or OnError has returned.
  virtual void Submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) = 0;
  // Stops a request early: its sink gets OnFinish with FinishReason::kCancelled unless it has
  // already finished. Unknown ids are ignored.
  virtual void Cancel(RequestId id) = 0;
  virtual EngineStats Stats() const = 0;
  // Finishes nothing new: cancels what is queued or running and joins the engine's threads.
  // Called by the destructor too; calling it twice is harmless.
  virtual void Shutdown() = 0;
};

}  // namespace infermeter
