#include "serve/generate_handler.h"

#include <chrono>
#include <random>

#include <fmt/format.h>

#include "infermeter/core/clock.h"
#include "serve/api_error.h"
#include "serve/request_stream.h"
#include "serve/response_writer.h"

namespace infermeter::engines::serve {
namespace {

using namespace std::chrono_literals;

// How long the connection's thread waits for the engine before it looks at the server's state
// (stopping) again.
constexpr auto kPollInterval = 50ms;

std::string ErrorEvent(const ApiError& error) { return "data: " + ErrorJson(error) + "\n\n"; }

// Everything one streaming response needs between calls of the content provider.
struct StreamState {
  Engine* engine = nullptr;
  const ServedModel* model = nullptr;
  RequestId id;
  std::shared_ptr<RequestStream> stream;
  ResponseWriter writer;
  ParsedRequest request;
  std::vector<StreamEvent> events;  // taken from the stream, not yet written
  std::int64_t completion_tokens = 0;
  bool started = false;
  bool ended = false;  // the engine's finish or error was written
  bool cancel_sent = false;
};

// Appends the SSE text of `state.events` to `out`; sets state.ended at the finish or error.
void WriteEvents(StreamState& state, std::string& out) {
  for (auto& event : state.events) {
    switch (event.kind) {
      case StreamEvent::Kind::kTokens: {
        std::string text;
        for (const TokenId id : event.tokens) text += state.model->piece(id);
        state.completion_tokens += static_cast<std::int64_t>(event.tokens.size());
        const Usage so_far{
            .prompt_tokens = static_cast<std::int64_t>(state.request.prompt_tokens.size()),
            .completion_tokens = state.completion_tokens,
            .cached_tokens = 0};
        out += state.writer.TokenEvent(text, event.tokens, state.request.prompt_tokens, so_far);
        break;
      }
      case StreamEvent::Kind::kFinish: {
        const Usage usage{.prompt_tokens = event.usage.prompt_tokens,
                          .completion_tokens = event.usage.completion_tokens,
                          .cached_tokens = event.usage.cached_prompt_tokens};
        if (event.reason == FinishReason::kCancelled) {
          out += ErrorEvent({.status = 503,
                             .message = "the request was cancelled: the server is stopping",
                             .code = "cancelled"});
        } else {
          out += state.writer.FinishEvent(event.reason, usage);
          if (state.request.include_usage) out += state.writer.UsageEvent(usage);
        }
        out += ResponseWriter::DoneEvent();
        state.ended = true;
        break;
      }
      case StreamEvent::Kind::kError:
        out += ErrorEvent({.status = 500, .message = event.message, .code = "engine_error"});
        out += ResponseWriter::DoneEvent();
        state.ended = true;
        break;
    }
    if (state.ended) break;
  }
  state.events.clear();
}

}  // namespace

void WriteError(httplib::Response& response, const ApiError& error) {
  response.status = error.status;
  response.set_content(ErrorJson(error), "application/json");
}

GenerateHandler::GenerateHandler(Engine& engine, const ServedModel& model,
                                 std::shared_ptr<ServeMetrics> metrics,
                                 const std::atomic<bool>& stopping)
    : engine_(engine),
      model_(model),
      metrics_(std::move(metrics)),
      stopping_(stopping),
      id_salt_(std::random_device{}()) {}

void GenerateHandler::Handle(Endpoint endpoint, const httplib::Request& http_request,
                             httplib::Response& response) {
  const std::int64_t arrival_ns = MonotonicNs();
  ParsedRequest parsed;
  try {
    parsed = ParseRequest(endpoint, http_request.body, model_);
  } catch (const ApiException& e) {
    return WriteError(response, e.error());
  }
  if (stopping_) {
    return WriteError(response, {.status = 503, .message = "the server is stopping"});
  }

  const RequestId id(next_id_.fetch_add(1));
  const auto prompt_tokens = static_cast<std::int64_t>(parsed.prompt_tokens.size());
  auto stream = std::make_shared<RequestStream>(
      RequestStreamOptions{.arrival_ns = arrival_ns,
                           .prompt_tokens = prompt_tokens,
                           .min_tokens = parsed.ignore_eos ? 0 : parsed.min_tokens,
                           .eos_token_id = model_.eos_token_id},
      metrics_);
  EngineRequest request;
  request.id = id;
  request.prompt_tokens = parsed.prompt_tokens;
  request.max_output_tokens = parsed.max_tokens;
  // min_tokens is implemented here (RequestStream): the engine must not stop at EOS.
  request.ignore_eos = parsed.ignore_eos || parsed.min_tokens > 0;
  request.sampling = parsed.sampling;
  if (!parsed.seeded) request.sampling.seed = id_salt_ ^ static_cast<std::uint64_t>(id.value);
  // httplib compares header names case-insensitively: X-Session-ID, x-session-id, ...
  request.session_id = http_request.get_header_value("X-Session-ID");
  engine_.Submit(std::move(request), stream);

  // The engine's first word: a token, a finish, or a refusal that becomes a 400.
  std::vector<StreamEvent> events;
  while (!stream->Take(events, kPollInterval)) {
    if (stopping_) {
      engine_.Cancel(id);
      return WriteError(response, {.status = 503, .message = "the server is stopping"});
    }
  }
  if (events.front().kind == StreamEvent::Kind::kError) {
    return WriteError(
        response,
        {.status = 400, .message = events.front().message, .param = "", .code = "engine_rejected"});
  }

  const bool chat = endpoint == Endpoint::kChat;
  const std::int64_t created = WallNs() / 1'000'000'000;
  ResponseWriter writer(
      endpoint,
      fmt::format("{}-{:08x}{:08x}", chat ? "chatcmpl" : "cmpl",
                  static_cast<std::uint32_t>(id_salt_), static_cast<std::uint64_t>(id.value)),
      created, model_.name, parsed.return_token_ids, parsed.continuous_usage_stats);

  if (!parsed.stream) {
    std::string text;
    std::vector<TokenId> generated;
    while (true) {
      for (auto& event : events) {
        if (event.kind == StreamEvent::Kind::kTokens) {
          for (const TokenId token : event.tokens) text += model_.piece(token);
          generated.insert(generated.end(), event.tokens.begin(), event.tokens.end());
          continue;
        }
        if (event.kind == StreamEvent::Kind::kError) {
          return WriteError(response,
                            {.status = 500, .message = event.message, .code = "engine_error"});
        }
        if (event.reason == FinishReason::kCancelled) {
          return WriteError(response, {.status = 503, .message = "the server is stopping"});
        }
        const Usage usage{.prompt_tokens = event.usage.prompt_tokens,
                          .completion_tokens = event.usage.completion_tokens,
                          .cached_tokens = event.usage.cached_prompt_tokens};
        if (stream->wants_cancel()) engine_.Cancel(id);
        response.status = 200;
        response.set_content(
            writer.FullResponse(text, generated, parsed.prompt_tokens, event.reason, usage),
            "application/json");
        return;
      }
      events.clear();
      while (!stream->Take(events, kPollInterval)) {
        if (stopping_) {
          engine_.Cancel(id);
          return WriteError(response, {.status = 503, .message = "the server is stopping"});
        }
      }
    }
  }

  auto state = std::make_shared<StreamState>(StreamState{.engine = &engine_,
                                                         .model = &model_,
                                                         .id = id,
                                                         .stream = std::move(stream),
                                                         .writer = std::move(writer),
                                                         .request = std::move(parsed),
                                                         .events = std::move(events)});
  response.status = 200;
  response.set_header("Cache-Control", "no-cache");
  response.set_chunked_content_provider(
      "text/event-stream",
      [state](std::size_t /*offset*/, httplib::DataSink& sink) {
        std::string out;
        if (!state->started) {
          out = state->writer.StreamStart(state->request.prompt_tokens);
          state->started = true;
        }
        if (state->events.empty()) state->stream->Take(state->events, kPollInterval);
        WriteEvents(*state, out);
        if (!state->cancel_sent && state->stream->wants_cancel()) {
          state->engine->Cancel(state->id);
          state->cancel_sent = true;
        }
        // One write per wake-up: every event that was waiting goes out in one send.
        if (!out.empty() && !sink.write(out.data(), out.size())) return false;
        if (state->ended) sink.done();
        return true;
      },
      [state](bool /*success*/) {
        // The response is over: written to the end, or cut (client gone, write timeout, server
        // stopping). A request still running in the engine is no longer wanted.
        if (!state->ended && !state->cancel_sent) state->engine->Cancel(state->id);
      });
}

}  // namespace infermeter::engines::serve
